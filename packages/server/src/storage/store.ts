// The Store port: everything the HTTP routes and the realtime layer need from persistence. One Kysely
// implementation serves SQLite now and PostgreSQL later; the store is the source of truth [D6].
import type {
  AccountKeys,
  Envelope,
  Head,
  KdfParams,
  MemberEvent,
  Role,
  RoomEvent,
  VaultRecord,
} from '@parley/protocol';

export interface UserRecord {
  id: string;
  salt: string;
  kdf: KdfParams;
  /** `scrypt$N$r$p$salt$hash`: never leaves the server. */
  authHash: string;
  keys: AccountKeys;
  failedLogins: number;
  failedWindowStart: number;
}

export interface SessionRecord {
  id: string;
  user: string;
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
}

export interface RoomSummaryRecord {
  id: string;
  name: string;
  public: boolean;
  role: Role | null;
  headSeq: number;
}

/** A public room as listed to anyone: with its signed create event, so a client can tell who made it [R3]. */
export interface PublicRoomRecord extends RoomSummaryRecord {
  create: MemberEvent;
}

export interface MembershipRecord {
  role: Role | null;
  /** Seq of the leave/kick that ended the membership; null while a member. */
  leftSeq: number | null;
}

/** One item of a group commit [M5]: the sequencer collects these across a tick. */
export type AppendInput =
  | { kind: 'create'; create: MemberEvent; invites: readonly MemberEvent[] }
  | { kind: 'member'; event: MemberEvent }
  | { kind: 'message'; sender: string; envelope: Envelope };

export type AppendResult =
  | { ok: true; events: RoomEvent[]; duplicate: boolean }
  | {
      ok: false;
      code: 'NOT_MEMBER' | 'MEMBERSHIP_RULE' | 'MEMBERSHIP_CHANGED' | 'CONFLICT' | 'NOT_FOUND';
      message: string;
    };

export interface StoredShare {
  id: number;
  room: string;
  sender: string;
  recipient: string;
  sessionId: string;
  ciphertext: string;
  signature: string;
  /** [R5] Set on a forwarded share: whose session it is. */
  owner?: string;
}

/** [M2] A member's request for a session it lacks, waiting for the session's sender. */
export interface StoredKeyRequest {
  id: number;
  room: string;
  requester: string;
  sender: string;
  sessionId: string;
}

export interface VaultPage {
  records: (VaultRecord & { seq: number })[];
  /** The feed position after the last record returned (or the vault's position when none). */
  seq: number;
  hasMore: boolean;
}

/** A vault write refused: `stale` ids are behind what is stored; `full`: over the record cap. */
export type VaultRefusal = { refused: 'stale'; ids: string[] } | { refused: 'full' } | { refused: 'incomplete' };

export interface Store {
  // ---- accounts ----
  /** False when the name is taken. */
  createUser(user: Omit<UserRecord, 'failedLogins' | 'failedWindowStart'>, now: number): Promise<boolean>;
  getUser(id: string): Promise<UserRecord | undefined>;
  userExists(ids: readonly string[]): Promise<Set<string>>;
  setLoginFailures(id: string, count: number, windowStart: number): Promise<void>;
  /**
   * [K5] swaps salt, kdf, auth hash and wrapped keys, re-seals the vault [K9] and deletes every other session,
   * in one transaction. `vault` must hold every record the vault holds, each one version higher; else nothing
   * changes and the answer is the VaultWrite refusal.
   */
  changePassword(
    change: { user: string; salt: string; kdf: KdfParams; authHash: string; keys: AccountKeys },
    keepSessionId: string,
    vault?: readonly VaultRecord[],
  ): Promise<{ sessionsEnded: string[] } | VaultRefusal>;

  // ---- the account vault [K9] ----
  /** Records of `user`'s vault written after `after` (the feed position), oldest change first. */
  vaultAfter(user: string, after: number, limit: number): Promise<VaultPage>;
  /**
   * Writes records whose version is above the stored one, all or none. Refused: records whose stored version is
   * not below (another device wrote them first), or a vault that would hold more than `maxRecords`.
   */
  putVault(
    user: string,
    records: readonly VaultRecord[],
    maxRecords: number,
  ): Promise<{ seq: number } | VaultRefusal>;

  // ---- sessions ----
  createSession(s: SessionRecord & { tokenHash: string }): Promise<void>;
  findSession(tokenHash: string): Promise<SessionRecord | undefined>;
  touchSession(id: string, now: number): Promise<void>;
  deleteSession(id: string): Promise<void>;
  listSessions(user: string): Promise<SessionRecord[]>;

  // ---- rooms and the log [R1] ----
  /** Commits every item in one transaction; each gets its own result (a rule break fails only that item). */
  appendBatch(items: readonly AppendInput[], ts: number): Promise<AppendResult[]>;
  insertHeads(heads: readonly Head[]): Promise<void>;
  roomsOf(user: string): Promise<RoomSummaryRecord[]>;
  /** Public rooms, each with its create event (seq 1) [R3]. */
  publicRooms(user: string): Promise<PublicRoomRecord[]>;
  getRoom(id: string, user: string): Promise<RoomSummaryRecord | undefined>;
  members(room: string): Promise<{ user: string; role: Role }[]>;
  membership(room: string, user: string): Promise<MembershipRecord | undefined>;
  /** Users who share at least one room with `user` (presence fan-out). */
  coMembers(user: string): Promise<string[]>;
  /** Ascending; `after` reads forward from it, otherwise the newest `limit` below `before`. */
  readEvents(
    room: string,
    q: { after?: number; before?: number; limit: number; maxSeq?: number },
  ): Promise<RoomEvent[]>;
  /** Every head with lo ≤ seq ≤ hi, the first head after hi when none is at hi, and the room's latest head. */
  readHeads(room: string, lo: number, hi: number): Promise<Head[]>;
  headSeq(room: string): Promise<number>;

  // ---- key shares and key requests [M2] ----
  /**
   * Stores shares, except to a recipient who already has `limits.maxPending` waiting (a dormant account: its
   * keys come by key request once it is back); returns the recipients skipped. The key requests these shares
   * answer (same sender, room, recipient and session) are deleted.
   */
  insertShares(
    room: string,
    sender: string,
    shares: readonly Omit<StoredShare, 'id' | 'room' | 'sender'>[],
    limits: { maxPending: number },
  ): Promise<string[]>;
  /** The oldest waiting shares created at or after `since` (older ones are expired and deleted). */
  sharesFor(recipient: string, since: number): Promise<StoredShare[]>;
  deleteShares(recipient: string, ids: readonly number[]): Promise<void>;
  /**
   * `user` is out of `room`: the shares still waiting for them there, their key requests there and the requests
   * to them there are deleted (nothing of the room is theirs to read any more, and their devices dropped the
   * room's sessions, so they can answer nothing).
   */
  dropPending(room: string, user: string): Promise<void>;
  /** Stores a request unless the same one is pending; its id, or null when it was already pending. */
  insertKeyRequest(r: Omit<StoredKeyRequest, 'id'>): Promise<number | null>;
  /** How many requests `requester` has waiting. */
  pendingKeyRequests(requester: string): Promise<number>;
  /** The oldest requests waiting for `sender` created at or after `since` (older ones are deleted). */
  keyRequestsFor(sender: string, since: number): Promise<StoredKeyRequest[]>;
  deleteKeyRequests(sender: string, ids: readonly number[]): Promise<void>;

  // ---- deployment ----
  /** [S1] Stores `value` under `name` unless one is there; returns the stored one (first writer wins). */
  claimSetting(name: string, value: string): Promise<string>;
  readSetting(name: string): Promise<string | undefined>;
  /** Throws when the database does not answer (readiness). */
  ping(): Promise<void>;

  close(): Promise<void>;
}
