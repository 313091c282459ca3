// The SDK's public shape: what the web client and the CLI program against. Implemented by createClient().
import type { HistoryVisibility, Role } from '@parley/protocol';

/** Where the SDK keeps session, keys, pins and ratchet state. memory | IndexedDB (browser) | file (CLI). */
export interface KeyStore {
  /** true: values may be CryptoKey objects (IndexedDB, memory); false: JSON only, so keys are kept as pkcs8. */
  readonly persistsCryptoKeys: boolean;
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  /**
   * Several values at once, in one transaction where the store has them (IndexedDB: one commit instead of one
   * per value). A later entry for the same key wins.
   */
  setMany(entries: readonly (readonly [key: string, value: unknown])[]): Promise<void>;
  delete(key: string): Promise<void>;
  /** Deletes every value whose key starts with `prefix` (a room's sessions, once the user is out of it). */
  deletePrefix(prefix: string): Promise<void>;
  /** Every key that starts with `prefix`, with its value (a room's sessions, to hand on to a newcomer [R5]). */
  list<T>(prefix: string): Promise<[key: string, value: T][]>;
  /** Logout wipes everything. */
  clear(): Promise<void>;
}

export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}
/** Browsers: the global WebSocket (cookie auth). Node: `ws` with an Authorization header (bearer auth). */
export type WebSocketFactory = (url: string, headers: Record<string, string>) => WebSocketLike;

export interface ClientOptions {
  /** API base URL, e.g. http://localhost:8000 (browser: the page's origin). */
  server: string;
  store: KeyStore;
  /** 'cookie' in browsers (HttpOnly session cookie + CSRF header), 'bearer' elsewhere. Default 'bearer'. */
  auth?: 'cookie' | 'bearer';
  fetch?: typeof globalThis.fetch;
  webSocket?: WebSocketFactory;
  /** Reconnect back-off bounds. Defaults 500 ms and 15 000 ms. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /**
   * How long an event may wait for a countersigned head covering it before the SDK asks the server again and,
   * still without one, warns `missing_head` [M5]. Servers coalesce heads (1 s by default). Default 5 000 ms.
   */
  headGraceMs?: number;
}

export type ConnectionState = 'connecting' | 'online' | 'reconnecting' | 'offline';

/**
 * Why a message can't be shown [M6]: never a bare "unable to decrypt". `tampered` also covers an envelope whose
 * room is not the room it was delivered in, and an index more than MAX_RATCHET_STEPS past the stored key.
 */
export type MessageStatus =
  | 'ok'
  | 'missing_key'
  /**
   * [M6] The key never reached this device, and its sender has left the room: their devices dropped the room's
   * sessions as they left, so there is nobody to ask. Another device of this account that holds it can still
   * bring it through the vault [K9] (the message then comes as `recovered`).
   */
  | 'sender_left'
  | 'before_join'
  | 'bad_signature'
  | 'tampered'
  | 'unknown_sender'
  | 'replayed'
  /** [M6] [R4] The sender was not a member of the room at the message's seq (kicked, or never invited). */
  | 'not_member';

export interface DecryptedMessage {
  room: string;
  seq: number;
  ts: number;
  sender: string;
  clientMsgId: string;
  status: MessageStatus;
  /** Present only when status is 'ok'. */
  text?: string;
  /** The sender's keys were marked verified by this user (safety number compared). */
  senderVerified: boolean;
}

/** A room-log event that is not a message: shown in the timeline as "alice invited bob". */
export interface MembershipNotice {
  room: string;
  seq: number;
  ts: number;
  type: 'create' | 'invite' | 'join' | 'leave' | 'kick' | 'promote';
  actor: string;
  target: string;
  valid: boolean;
}

/** One page of a room's history, oldest first: its messages and its membership notices. */
export interface HistoryPage {
  messages: DecryptedMessage[];
  notices: MembershipNotice[];
  /** The page's oldest seq: pass it as `before` for the next older page; null when the page is empty. */
  oldestSeq: number | null;
  /** An older page exists. */
  hasMore: boolean;
}

/** Unread messages of a room after its read mark, counted up to seq `upTo`. */
export interface UnreadCount {
  count: number;
  upTo: number;
}

export interface RoomSummary {
  id: string;
  name: string;
  public: boolean;
  role: Role | null;
  headSeq: number;
  /**
   * Made by this server itself ("general"): its create event is signed by the pinned server key [R3]. Anyone
   * can name a room "general"; only this tells the real one.
   */
  official: boolean;
}

export interface Member {
  user: string;
  role: Role;
  online: boolean;
}

export interface ContactInfo {
  user: string;
  fingerprint: string;
  safetyNumber: string | null;
  verified: boolean;
  /** The server served keys other than the pinned ones [K6]. */
  keyChanged: boolean;
  /** After a key change: the new keys' fingerprint and safety number, to compare before verifying them. */
  newFingerprint?: string;
  newSafetyNumber?: string | null;
}

/**
 * Integrity findings from the chain, heads and counters [R1] [M4] [M5] [D3]:
 * - `gap`: events that never arrived and that the server did not fill from history;
 * - `bad_head`: a head not signed by the pinned server key;
 * - `missing_head`: events no valid head vouched for, even after asking the server again;
 * - `chain_mismatch`: a hash or link that does not add up, or two chains for one seq (a fork);
 * - `counter_gap` / `counter_replay`: a sender's counter jumped, or went back;
 * - `invalid_membership`: a membership event without a valid signature and rule;
 * - `invalid_event`: a live event refused by the protocol schema (another version, §0), never processed;
 * - `stale_membership`: a message encrypted for a membership older than a removal before it [M11]: the server
 *   should have refused it, and the removed member may have been able to read it.
 */
export interface IntegrityWarning {
  room: string;
  kind:
    | 'gap'
    | 'bad_head'
    | 'missing_head'
    | 'chain_mismatch'
    | 'counter_gap'
    | 'counter_replay'
    | 'invalid_membership'
    | 'invalid_event'
    | 'stale_membership';
  detail: string;
  /** The sender concerned, for the counter kinds. */
  user?: string;
}

/** A room's chain at one seq [R1]: what two members compare, out of band, to find a fork. */
export interface ChainHead {
  room: string;
  seq: number;
  /** chain_seq, b64u. */
  chain: string;
}

/** `unknown`: this client has not seen (and could not read) the chain at that seq. */
export type HeadComparison = 'match' | 'fork' | 'unknown';

export interface ClientEvents {
  message: DecryptedMessage;
  member: MembershipNotice;
  presence: { user: string; online: boolean };
  typing: { room: string; user: string };
  connection: ConnectionState;
  keychange: { user: string };
  integrity: IntegrityWarning;
  /** A message shown earlier with a non-ok status that can now be read (its key arrived) [M6]. */
  recovered: DecryptedMessage;
  /**
   * [M6] A message shown as waiting for its key whose sender has since left the room: shown again with status
   * `sender_left`, as its key can no longer come from them.
   */
  keyUnavailable: DecryptedMessage;
  /** [K9] A vault record the server served that was not used: older than one seen here, or not ours. */
  vault: VaultWarning;
}

export interface VaultWarning {
  kind: 'rollback' | 'unreadable';
  record: string;
  detail: string;
}

export interface ParleyClient {
  readonly user: string | null;
  readonly connection: ConnectionState;
  /** Keys made locally, wrapped under the password-derived key; joins "general". onProgress names each step. */
  register(username: string, password: string, onProgress?: (step: string) => void): Promise<void>;
  login(username: string, password: string, onProgress?: (step: string) => void): Promise<void>;
  /** Restores a session from the store (page reload, next CLI run); false when there is none or it expired. */
  resume(): Promise<boolean>;
  logout(): Promise<void>;
  changePassword(current: string, next: string): Promise<void>;

  rooms(): Promise<RoomSummary[]>;
  publicRooms(): Promise<RoomSummary[]>;
  /** ROOM is an id or the name of a room the user is in (or a public room, for join). */
  resolveRoom(idOrName: string): Promise<RoomSummary>;
  /**
   * `history` [R5], signed in the create event: "shared" (the default, as in Slack) lets members read what was
   * said before they joined (whoever invites them hands on the room's earlier keys); "joined" shows those
   * messages as `before_join`.
   */
  createRoom(
    name: string,
    opts?: { public?: boolean; members?: string[]; history?: HistoryVisibility },
  ): Promise<RoomSummary>;
  directMessage(user: string): Promise<RoomSummary>;
  invite(room: string, user: string): Promise<void>;
  join(room: string): Promise<void>;
  leave(room: string): Promise<void>;
  /** An admin removes `user` from the room; every member's next message starts a new session [M3]. */
  kick(room: string, user: string): Promise<void>;
  /**
   * [R4] The other person when the room is a direct message by its verified membership (private, exactly this
   * user and them, named by directMessage), else null. Reads the room's log.
   */
  directPeer(room: string): Promise<string | null>;
  /** An admin makes `user` (a member) an admin of the room. */
  promote(room: string, user: string): Promise<void>;
  members(room: string): Promise<Member[]>;

  send(room: string, text: string): Promise<{ seq: number }>;
  /** Decrypted and verified, oldest first; `before` pages back through history. */
  history(room: string, opts?: { limit?: number; before?: number }): Promise<DecryptedMessage[]>;
  /** Like history, with the page's membership notices ("alice invited bob") and where the next page starts. */
  historyPage(room: string, opts?: { limit?: number; before?: number }): Promise<HistoryPage>;
  /** Remembers (in the store, so it survives a reload) that the room was read up to `seq`. */
  markRead(room: string, seq: number): Promise<void>;
  /** Per room id: messages from others after the read mark. */
  unread(): Promise<Record<string, UnreadCount>>;
  typing(room: string): void;

  /**
   * Opens the live connection; resolves when the server is ready. By default it resumes each room after the
   * last seq this client processed [D3]; `fromNow` starts every room at its head (live messages only).
   */
  connect(opts?: { fromNow?: boolean }): Promise<void>;
  disconnect(): Promise<void>;
  /**
   * [M2] Fetches the key requests other members left for this user and answers those the room's verified
   * membership allows; resolves with how many there were. A connected client does this itself on every
   * (re)connection; a client that never connects (a CLI command) calls it.
   */
  answerKeyRequests(): Promise<number>;
  on<K extends keyof ClientEvents>(event: K, listener: (value: ClientEvents[K]) => void): () => void;

  /**
   * The room's newest head this client verified (countersigned with the pinned server key) [R1] [M5], read
   * fresh from the server when it can be (else the newest one seen); null when none is known.
   */
  chainHead(room: string): Promise<ChainHead | null>;
  /**
   * Compares a head another member reported (in a signed message, or read out) with this client's own chain:
   * `fork` is also raised as a `chain_mismatch` warning. An unseen seq is read from the server first when it
   * is close to a chain this client already holds, so the link to it is checked.
   */
  compareHead(head: ChainHead): Promise<HeadComparison>;

  contact(user: string): Promise<ContactInfo>;
  /**
   * [K6] Marks verified exactly the keys whose safety number was shown: `safetyNumber` is the number the person
   * compared (the pinned keys', or after a key change the new keys'). Any other number is SAFETY_NUMBER_MISMATCH.
   */
  verify(user: string, safetyNumber: string): Promise<ContactInfo>;
}
