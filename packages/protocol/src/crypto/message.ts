// Messages [M1] [M4] and key shares [M2]: sealing on the sender, opening with a reason on the receiver [M6].
import { concatBytes, fromB64u, randomBytes, toB64u, tryFromUtf8, utf8 } from '../bytes.ts';
import { B64u, Canonical, canonical, encodeCanonical } from '../canonical.ts';
import { PROTOCOL_VERSION, type Envelope, type KeyShare } from '../wire.ts';
import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  rsaDecrypt,
  rsaEncrypt,
  rsaSign,
  rsaVerify,
  type AesKey,
} from './primitives.ts';
import { keyCommitment, messageKey } from './ratchet.ts';

export type UnsignedEnvelope = Omit<Envelope, 'signature'>;

const messageAad = (e: { room: string; sessionId: string; index: number }, sender: string) =>
  canonical('msg-aad', [PROTOCOL_VERSION, e.room, sender, fromB64u(e.sessionId), e.index]);

/** The bytes the sender signs [M4], unwritten: so an event can nest them without a copy (chain.ts). */
export const messageFields = (e: UnsignedEnvelope, sender: string): Canonical =>
  new Canonical('msg', [
    e.v,
    e.room,
    sender,
    new B64u(e.sessionId),
    e.index,
    e.memberSeq,
    new B64u(e.iv),
    new B64u(e.ciphertext),
    new B64u(e.commit),
    new B64u(e.clientMsgId),
    e.counter,
  ]);

/** The bytes the sender signs [M4]; the receiver recomputes them with the sender the server names. */
export const messageBytes = (e: UnsignedEnvelope, sender: string): Uint8Array =>
  encodeCanonical(messageFields(e, sender));

export interface SealMessageOptions {
  room: string;
  sender: string;
  signingKey: CryptoKey;
  sessionId: string;
  /** Chain key at `index`: the caller advances its outbound session afterwards. */
  chainKey: Uint8Array;
  index: number;
  /** [M11] The seq of the membership change the recipients were chosen at (the verified fold's latest). */
  memberSeq: number;
  counter: number;
  clientMsgId: string;
  text: string;
}

export async function sealMessage(o: SealMessageOptions): Promise<Envelope> {
  const iv = randomBytes(12);
  const plaintext = utf8(JSON.stringify({ text: o.text }));
  const [key, commit] = await Promise.all([messageKey(o.chainKey), keyCommitment(o.chainKey)]);
  const ciphertext = await aesGcmEncrypt(key, {
    iv,
    plaintext,
    aad: messageAad({ room: o.room, sessionId: o.sessionId, index: o.index }, o.sender),
  });
  const unsigned: UnsignedEnvelope = {
    v: PROTOCOL_VERSION,
    room: o.room,
    sessionId: o.sessionId,
    index: o.index,
    memberSeq: o.memberSeq,
    iv: toB64u(iv),
    ciphertext: toB64u(ciphertext),
    commit: toB64u(commit),
    clientMsgId: o.clientMsgId,
    counter: o.counter,
  };
  const signature = await rsaSign(o.signingKey, messageBytes(unsigned, o.sender));
  return { ...unsigned, signature: toB64u(signature) };
}

export function verifyMessageSignature(
  e: Envelope,
  sender: string,
  signingPublicKey: CryptoKey,
): Promise<boolean> {
  const { signature, data } = messageSignatureInput(e, sender);
  return rsaVerify(signingPublicKey, signature, data);
}

/** What verifyMessageSignature checks, as bytes: for a reader that verifies many at once (elsewhere). */
export function messageSignatureInput(e: Envelope, sender: string): { signature: Uint8Array; data: Uint8Array } {
  const { signature, ...unsigned } = e;
  return { signature: fromB64u(signature), data: messageBytes(unsigned, sender) };
}

/**
 * Decrypts with the message key for `e.index`; null when tampered: the key commitment [M9] does not match
 * this chain key, or the AEAD tag fails.
 */
export async function openMessage(
  e: Envelope,
  sender: string,
  chainKeyAtIndex: Uint8Array,
): Promise<{ text: string } | null> {
  const [key, commit] = await Promise.all([messageKey(chainKeyAtIndex), keyCommitment(chainKeyAtIndex)]);
  return openMessageWithKey(e, sender, key, commit);
}

/** [M9] True when the envelope's signed commitment is the one of this chain key (not secret: no timing care). */
export function commitsTo(e: Envelope, commit: Uint8Array): boolean {
  return e.commit === toB64u(commit);
}

/**
 * Like openMessage, with the message key and key commitment of `e.index` already derived (the key raw, or
 * imported once as an AES-GCM key by a reader that keeps it for reading the message again).
 */
export async function openMessageWithKey(
  e: Envelope,
  sender: string,
  key: AesKey,
  commit: Uint8Array,
): Promise<{ text: string } | null> {
  if (!commitsTo(e, commit)) return null;
  const plaintext = await aesGcmDecrypt(key, {
    iv: fromB64u(e.iv),
    ciphertext: fromB64u(e.ciphertext),
    aad: messageAad(e, sender),
  });
  if (!plaintext) return null;
  const json = tryFromUtf8(plaintext);
  try {
    const body: unknown = json === null ? null : JSON.parse(json);
    if (body && typeof body === 'object' && 'text' in body && typeof body.text === 'string')
      return { text: body.text };
  } catch {
    // fall through: a well-authenticated but malformed body is reported like tampering
  }
  return null;
}

// ---- key shares [M2] ----
export interface SessionShare {
  sessionId: string;
  index: number;
  chainKey: Uint8Array;
}

export const shareBytes = (s: {
  room: string;
  sessionId: string;
  sender: string;
  recipient: string;
  ciphertext: string;
  owner?: string | undefined;
}) =>
  canonical('share', [
    PROTOCOL_VERSION,
    s.room,
    fromB64u(s.sessionId),
    s.sender,
    s.recipient,
    fromB64u(s.ciphertext),
    // [R5] A forwarded share signs whose session it is; a share of one's own keeps its six fields.
    ...(s.owner === undefined ? [] : [s.owner]),
  ]);

export async function sealShare(o: {
  room: string;
  sender: string;
  signingKey: CryptoKey;
  recipient: string;
  recipientEncryptionKey: CryptoKey;
  session: SessionShare;
  /** [R5] Set when forwarding someone else's session (never the sender itself). */
  owner?: string;
}): Promise<KeyShare> {
  if (o.session.chainKey.length !== 32) throw new RangeError('chainKey must be 32 bytes');
  if (o.owner === o.sender) throw new RangeError("a share of one's own session has no owner");
  const index = new Uint8Array(4);
  new DataView(index.buffer).setUint32(0, o.session.index);
  const payload = concatBytes(fromB64u(o.session.sessionId), index, o.session.chainKey);
  const ciphertext = toB64u(await rsaEncrypt(o.recipientEncryptionKey, payload));
  const owner = o.owner === undefined ? {} : { owner: o.owner };
  const sig = await rsaSign(
    o.signingKey,
    shareBytes({
      room: o.room,
      sessionId: o.session.sessionId,
      sender: o.sender,
      recipient: o.recipient,
      ciphertext,
      ...owner,
    }),
  );
  return { recipient: o.recipient, sessionId: o.session.sessionId, ciphertext, signature: toB64u(sig), ...owner };
}

export type OpenShareResult =
  | { ok: true; session: SessionShare }
  | { ok: false; reason: 'misaddressed' | 'bad_signature' | 'undecryptable' | 'session_mismatch' };

/** Accepts a share only if addressed to `me` and signed by the pinned key of the claimed sender [M2]. */
export async function openShare(o: {
  share: KeyShare & { room: string; sender: string };
  me: string;
  myEncryptionKey: CryptoKey;
  senderSigningKey: CryptoKey;
}): Promise<OpenShareResult> {
  const s = o.share;
  if (s.recipient !== o.me) return { ok: false, reason: 'misaddressed' };
  const signed = await rsaVerify(o.senderSigningKey, fromB64u(s.signature), shareBytes(s));
  if (!signed) return { ok: false, reason: 'bad_signature' };
  const payload = await rsaDecrypt(o.myEncryptionKey, fromB64u(s.ciphertext));
  if (!payload || payload.length !== 16 + 4 + 32) return { ok: false, reason: 'undecryptable' };
  const sessionId = toB64u(payload.subarray(0, 16));
  if (sessionId !== s.sessionId) return { ok: false, reason: 'session_mismatch' };
  const index = new DataView(payload.buffer, payload.byteOffset + 16, 4).getUint32(0);
  return { ok: true, session: { sessionId, index, chainKey: payload.slice(20) } };
}
