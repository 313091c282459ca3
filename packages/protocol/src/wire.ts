// Wire types of protocol v1 (docs/protocol.md §3–6): one zod schema per message, one discriminated union per
// WebSocket direction. Everything crossing a process boundary is parsed here first, into typed values. Over 300
// lines on purpose: the whole contract between server and clients reads in one file.
import { z } from 'zod';
import { hasCanonicalTail } from './bytes.ts';

export const PROTOCOL_VERSION = 1 as const;

const B64U = /^[A-Za-z0-9_-]*$/;
// Only the canonical spelling passes (no stray bits in the last character), so everything a schema accepts
// decodes with fromB64u without throwing, and one value has one spelling in hashes and dedup keys.
/** Base64url without padding; `maxBytes` bounds the decoded size. */
export const b64u = (maxBytes: number) =>
  z
    .string()
    .max(Math.ceil((maxBytes * 4) / 3))
    .regex(B64U, 'must be base64url without padding')
    .refine(hasCanonicalTail, 'is not canonical base64url');

/** b64u of exactly `bytes` bytes. */
export const b64uBytes = (bytes: number) =>
  z
    .string()
    .length(Math.ceil((bytes * 4) / 3))
    .regex(B64U, 'must be base64url without padding')
    .refine(hasCanonicalTail, 'is not canonical base64url');

export const USER_ID = /^[a-z0-9][a-z0-9_.-]{2,31}$/;
export const userId = z.string().regex(USER_ID, 'must be 3–32 of a-z 0-9 _ . - starting with a letter or digit');
/** The actor of the server's own events (the "general" room's create). */
export const SERVER_ACTOR = '@server' as const;
export const roomId = b64uBytes(16);
export const id16 = b64uBytes(16);
export const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
export const ts = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
export const version = z.literal(PROTOCOL_VERSION);

export const MIN_PBKDF2_ITERATIONS = 600_000;
export const kdfParams = z.strictObject({
  name: z.literal('PBKDF2-SHA256'),
  iterations: z.number().int().min(MIN_PBKDF2_ITERATIONS).max(10_000_000),
});
export type KdfParams = z.infer<typeof kdfParams>;

const spki = b64u(1024);
const wrappedKey = b64u(4096);
const signature = b64u(512);
export const publicKeys = z.strictObject({ signing: spki, encryption: spki });
export const accountKeys = z.strictObject({
  signing: z.strictObject({ public: spki, wrappedPrivate: wrappedKey }),
  encryption: z.strictObject({ public: spki, wrappedPrivate: wrappedKey }),
});
export type AccountKeys = z.infer<typeof accountKeys>;

// ---- membership [R2] ----
/**
 * Characters a room name may not hold: controls (C0, DEL, C1), which drive terminals, and the bidirectional
 * marks and overrides, which make a name read as something else (and reorder the text after it).
 */
export const UNSAFE_NAME_CHARACTERS = /[\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
export const roomName = z
  .string()
  .min(1)
  .max(64)
  // Signed as UTF-8: a lone surrogate would encode as U+FFFD, so two names would share one signature.
  .refine((s) => !/\p{Cs}/u.test(s), 'must be well-formed Unicode')
  .refine((s) => !UNSAFE_NAME_CHARACTERS.test(s), 'must not contain control or bidirectional-override characters');

export const MEMBER_TYPES = ['create', 'invite', 'join', 'leave', 'kick', 'promote'] as const;
export type MemberType = (typeof MEMBER_TYPES)[number];
/** [R5] Who reads a room's earlier messages: everyone let in ("shared"), or each member from their join. */
export const HISTORY_VISIBILITIES = ['shared', 'joined'] as const;
export type HistoryVisibility = (typeof HISTORY_VISIBILITIES)[number];

export const memberEvent = z.strictObject({
  v: version,
  type: z.enum(MEMBER_TYPES),
  room: roomId,
  actor: z.union([userId, z.literal(SERVER_ACTOR)]),
  target: z.union([userId, z.literal(SERVER_ACTOR)]),
  eventId: id16,
  ts,
  name: roomName.optional(),
  public: z.boolean().optional(),
  /**
   * [R5] Create only: whether members read what was said before they joined ("shared") or only from their
   * join ("joined"). A create event without it is "joined".
   */
  history: z.enum(HISTORY_VISIBILITIES).optional(),
  signature,
});
export type MemberEvent = z.infer<typeof memberEvent>;

// ---- messages [M1] [M4] ----
export const MAX_CIPHERTEXT_BYTES = 64 * 1024;
export const envelope = z.strictObject({
  v: version,
  room: roomId,
  sessionId: id16,
  index: z.number().int().min(0).max(0xffff_ffff),
  // [M11] The seq of the room's latest membership change the sender chose its recipients at (signed), so a
  // message encrypted before a kick can be told from one encrypted after it.
  memberSeq: seq,
  iv: b64uBytes(12),
  ciphertext: b64u(MAX_CIPHERTEXT_BYTES),
  // [M9] The key commitment: HMAC(chainKey at index, 0x03). One ciphertext opens to one text only.
  commit: b64uBytes(32),
  clientMsgId: id16,
  counter: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  signature,
});
export type Envelope = z.infer<typeof envelope>;

export const keyShare = z.strictObject({
  recipient: userId,
  sessionId: id16,
  ciphertext: b64u(512),
  signature,
  /**
   * [R5] A forwarded share: the session is `owner`'s (who wrote its messages), handed on by the share's sender,
   * a member of a "shared history" room, to someone they invited. Absent: the session is the sender's own.
   */
  owner: userId.optional(),
});
export type KeyShare = z.infer<typeof keyShare>;
export const storedKeyShare = keyShare.extend({ id: z.number().int(), room: roomId, sender: userId });
export type StoredKeyShare = z.infer<typeof storedKeyShare>;

// ---- the room log [R1] [M5] ----
export const roomEvent = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('member'),
    room: roomId,
    seq,
    ts,
    sender: z.union([userId, z.literal(SERVER_ACTOR)]),
    content: memberEvent,
    hash: b64uBytes(32),
    chain: b64uBytes(32),
  }),
  z.strictObject({
    kind: z.literal('message'),
    room: roomId,
    seq,
    ts,
    sender: userId,
    content: envelope,
    hash: b64uBytes(32),
    chain: b64uBytes(32),
  }),
]);
export type RoomEvent = z.infer<typeof roomEvent>;
export const head = z.strictObject({ room: roomId, seq, ts, chain: b64uBytes(32), signature });
export type Head = z.infer<typeof head>;

// ---- HTTP bodies ----
export const preloginRequest = z.strictObject({ username: z.string().min(1).max(64) });
/**
 * How the client holds its session: `cookie` (browsers: the token stays in the HttpOnly cookie and is not put in
 * the answer, where script could read it) or `bearer` (the CLI and bots, the default).
 */
export const sessionKind = z.enum(['cookie', 'bearer']);
export type SessionKind = z.infer<typeof sessionKind>;
export const registerRequest = z.strictObject({
  username: userId,
  salt: b64uBytes(16),
  kdf: kdfParams,
  authKey: b64uBytes(32),
  keys: accountKeys,
  session: sessionKind.optional(),
});
export type RegisterRequest = z.infer<typeof registerRequest>;
export const loginRequest = z.strictObject({
  username: z.string().min(1).max(64),
  authKey: b64uBytes(32),
  session: sessionKind.optional(),
});
export type LoginRequest = z.infer<typeof loginRequest>;
// ---- the account vault [K9] ----
/** Record ids: what the record holds, in the client's words ("pins", "s:ROOM:SENDER:SESSION"). */
export const VAULT_RECORD_ID = /^[A-Za-z0-9_:.-]{1,120}$/;
export const MAX_VAULT_RECORD_BYTES = 64 * 1024;
export const MAX_VAULT_BATCH = 200;
/** Records one account's vault holds at most (a password change re-seals them all in one request). */
export const MAX_VAULT_RECORDS = 20_000;
export const vaultRecord = z.strictObject({
  id: z.string().regex(VAULT_RECORD_ID, 'must be 1–120 of A-Z a-z 0-9 _ : . -'),
  version: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  iv: b64uBytes(12),
  ciphertext: b64u(MAX_VAULT_RECORD_BYTES),
});
export type VaultRecord = z.infer<typeof vaultRecord>;
export const vaultPutRequest = z.strictObject({ records: z.array(vaultRecord).min(1).max(MAX_VAULT_BATCH) });
/** `seq`: where the server's change feed of this vault stands; a read `after` it returns what changed since. */
export const vaultResponse = z.object({
  records: z.array(vaultRecord.extend({ seq })),
  seq,
  hasMore: z.boolean(),
});
export type VaultResponse = z.infer<typeof vaultResponse>;
export const vaultPutResponse = z.object({ seq });

export const passwordChangeRequest = z.strictObject({
  authKey: b64uBytes(32),
  salt: b64uBytes(16),
  kdf: kdfParams,
  newAuthKey: b64uBytes(32),
  keys: accountKeys,
  // [K5] [K9] Every vault record sealed again under the new password's vault key, stored in the same
  // transaction as the re-wrapped keys (each one version higher).
  vault: z.array(vaultRecord).max(MAX_VAULT_RECORDS).optional(),
});
export const createRoomRequest = z.strictObject({
  create: memberEvent,
  invites: z.array(memberEvent).max(100).optional(),
});
export const memberEventRequest = z.strictObject({ event: memberEvent });
export const chatRequest = z.strictObject({ envelope });
export const sharesRequest = z.strictObject({ shares: z.array(keyShare).min(1).max(1000) });
export const sharesAckRequest = z.strictObject({ ids: z.array(z.number().int()).min(1).max(1000) });
/** [M2] Shares per POST: a rotation in a large room goes in several, each well under the 256 KiB body limit. */
export const MAX_SHARES_PER_REQUEST = 150;
/** [M2] A request for a session the client lacks, stored until the sender's client answers it. */
export const keyRequestBody = z.strictObject({ room: roomId, sender: userId, sessionId: id16 });
export const storedKeyRequest = z.object({ id: z.number().int(), room: roomId, from: userId, sessionId: id16 });
export const keyRequestsResponse = z.object({ requests: z.array(storedKeyRequest) });
export const keyRequestsAckRequest = sharesAckRequest;

export const serverKeyInfo = z.strictObject({ spki, fingerprint: z.string() });
export const loginResponse = z.strictObject({
  user: userId,
  /** Absent for cookie sessions. */
  token: z.string().optional(),
  csrfToken: z.string(),
  keys: accountKeys,
  serverKey: serverKeyInfo,
});
export type LoginResponse = z.infer<typeof loginResponse>;

// ---- HTTP answers ----
// The client parses every answer with these, never with looser copies of its own [K2]: a field the server may
// add later is dropped (z.object), but every field read is held to the same rules as the server's own input.
export const preloginResponse = z.object({ salt: b64uBytes(16), kdf: kdfParams });
export type PreloginResponse = z.infer<typeof preloginResponse>;
export const roomSummary = z.object({
  id: roomId,
  name: roomName,
  public: z.boolean(),
  role: z.enum(['admin', 'member']).nullable().optional(),
  headSeq: seq.optional(),
  // [R3] In the public list: the room's signed create event, so a client can tell the server's own rooms
  // ("general") from rooms anyone named the same.
  create: memberEvent.optional(),
});
export type RoomSummary = z.infer<typeof roomSummary>;
export const roomsResponse = z.object({ rooms: z.array(roomSummary) });
export const createRoomResponse = z.object({ room: roomSummary });
export const roomResponse = z.object({
  room: roomSummary,
  members: z.array(z.object({ user: userId, role: z.enum(['admin', 'member']) })),
});
export const eventsResponse = z.object({ events: z.array(roomEvent), heads: z.array(head), headSeq: seq });
export type EventsResponse = z.infer<typeof eventsResponse>;
export const sharesResponse = z.object({ shares: z.array(storedKeyShare) });
export const userKeysResponse = z.object({ user: userId, signing: spki, encryption: spki });
export const chatResponse = z.object({ room: roomId, seq, ts, chain: b64uBytes(32) });
export const memberEventResponse = z.object({ seq: seq.optional() });
export const meResponse = z.object({ user: userId });
export const serverInfoResponse = z.object({ serverKey: serverKeyInfo });

// ---- WebSocket frames ----
export const clientFrame = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('hello'),
    v: version,
    resume: z.record(roomId, seq).optional(),
  }),
  z.strictObject({ type: z.literal('send'), envelope }),
  z.strictObject({ type: z.literal('typing'), room: roomId }),
  z.strictObject({ type: z.literal('ping'), n: z.number().int().optional() }),
  z.strictObject({ type: z.literal('key_request'), room: roomId, sender: userId, sessionId: id16 }),
]);
export type ClientFrame = z.infer<typeof clientFrame>;

export const serverFrame = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ready'), v: version, user: userId }),
  z.strictObject({ type: z.literal('ack'), room: roomId, clientMsgId: id16, seq, ts, chain: b64uBytes(32) }),
  z.strictObject({ type: z.literal('event'), event: roomEvent }),
  z.strictObject({ type: z.literal('head'), head }),
  z.strictObject({ type: z.literal('gap'), room: roomId, from: seq, to: seq }),
  z.strictObject({ type: z.literal('presence'), user: userId, online: z.boolean() }),
  z.strictObject({ type: z.literal('typing'), room: roomId, user: userId }),
  z.strictObject({
    type: z.literal('key_request'),
    id: z.number().int(),
    room: roomId,
    from: userId,
    sessionId: id16,
  }),
  z.strictObject({ type: z.literal('shares') }),
  // [K9] The account's vault changed (another device wrote): read what changed.
  z.strictObject({ type: z.literal('vault') }),
  z.strictObject({
    type: z.literal('error'),
    code: z.string(),
    message: z.string(),
    ref: z.string().optional(),
  }),
  z.strictObject({ type: z.literal('pong'), n: z.number().int().optional() }),
]);
export type ServerFrame = z.infer<typeof serverFrame>;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Untrusted input returns a result: the first issue, with its path, in words a person can act on. */
export function parseWith<T>(schema: z.ZodType<T>, input: unknown): ParseResult<T> {
  const r = schema.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return { ok: false, error: `${where}${issue?.message ?? 'invalid'}` };
}

/** Parses one WebSocket text frame (either direction). */
export function parseFrame<T>(schema: z.ZodType<T>, text: string): ParseResult<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: 'frame is not JSON' };
  }
  return parseWith(schema, json);
}
