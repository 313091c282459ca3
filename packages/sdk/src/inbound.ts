// The receiving side [M1] [M2] [M6]: key shares are opened and kept at the earliest index, messages are verified
// and decrypted, and a message that can't be shown says why (and a missing key is asked for).
import { z } from 'zod';
import {
  b64uBytes,
  fromB64u,
  openMessageWithKey,
  openShare,
  toB64u,
  messageSignatureInput,
  type HistoryVisibility,
  type RoomEvent,
  type SessionShare,
} from '@parley/protocol';
import { ChainCache } from './chain-cache.ts';
import type { SignatureInput } from './page-read.ts';
import type { Verifier, VerifyItem } from './verifier.ts';
import { SerialQueue, storeKey, vaultId, type Ctx } from './context.ts';
import type { Pins } from './pins.ts';
import { wasMemberAt, type Fold, type Rooms } from './rooms.ts';
import { sharesResponse } from '@parley/protocol';
import type { DecryptedMessage, MessageStatus } from './types.ts';

export interface InboundSession {
  /** The earliest chain key this user may read (b64u), at `index`. */
  chainKey: string;
  index: number;
  /** Indices already read, with the seq that carried each: the same index at another seq is a replay. */
  used: Record<number, number>;
}

export type MessageEvent = Extract<RoomEvent, { kind: 'message' }>;

/** [K9] A session as the account vault keeps it: the earliest chain key this account may read, at `index`. */
const vaultSession = z.object({ chainKey: b64uBytes(32), index: z.number().int().min(0).max(0xffff_ffff) });

/**
 * How far past its stored chain key a reader ratchets [M1] [M6]. A sender rotates after 100 messages, so an
 * honest index is never this far; a farther one (up to 2^32 − 1 HMAC steps) is an attack on the reader's CPU
 * and the message is `tampered`, without a single step taken. Megolm bounds its skipped keys the same way.
 */
export const MAX_RATCHET_STEPS = 1000;

/** Inbound sessions kept in memory once loaded or written (least recently used beyond this are dropped). */
const MAX_KEPT_SESSIONS = 1024;

export interface InboundParts {
  pins: Pins;
  rooms: Rooms;
  /** Verifies signatures off the page's thread where it can. */
  verifier: Verifier;
  /** Sends a key_request; false when it could not be sent (offline): it is retried by `requestWaiting`. */
  requestKey: (room: string, sender: string, sessionId: string) => boolean;
  /** Messages lack their keys: another device of the account may have kept them in the vault [K9]. */
  keysMissing: () => void;
}

export class Inbound {
  private readonly queue = new SerialQueue();
  /** Messages waiting for a key, by room|sender|session. */
  private readonly waiting = new Map<string, Map<number, MessageEvent>>();
  private readonly requested = new Set<string>();
  /** Messages already reported as stale_membership, by room|seq. */
  private readonly staleReported = new Set<string>();
  private readonly chains = new ChainCache();
  /**
   * The inbound sessions this client has loaded or written, as stored: a page reads each from the store once
   * per client instead of once per page. Every write of a session that can already be here goes through
   * `save` (the sender's own new sessions are written elsewhere, under ids never seen before).
   */
  private readonly sessions = new Map<string, InboundSession>();
  private readonly pins: Pins;
  private readonly rooms: Rooms;
  private readonly verifier: Verifier;
  private readonly requestKey: InboundParts['requestKey'];
  private readonly keysMissing: InboundParts['keysMissing'];
  /** The last fetchShares: the next one starts after it. */
  private sharesTail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ctx: Ctx,
    parts: InboundParts,
  ) {
    ({
      pins: this.pins,
      rooms: this.rooms,
      verifier: this.verifier,
      requestKey: this.requestKey,
      keysMissing: this.keysMissing,
    } = parts);
  }

  decrypt(ev: MessageEvent): Promise<DecryptedMessage> {
    return this.decryptMany([ev]).then((out) => out[0] ?? unreachable());
  }

  /**
   * Verifies and decrypts events of one room, oldest first (`verified`: their verifyAll, started earlier). Signatures are verified concurrently and each
   * session ratchets once for the whole batch; the replay rule [M1] is then applied in seq order, exactly as
   * if the messages had been read one at a time.
   */
  async decryptMany(
    events: readonly MessageEvent[],
    verified?: Promise<(MessageStatus | null)[]>,
  ): Promise<DecryptedMessage[]> {
    const signed = await this.membersOnly(events, await (verified ?? this.verifyAll(events)));
    return this.queue.run(async () => {
      const results = await this.openVerified(events, signed);
      const verified = await this.verifiedSenders(events);
      const out = events.map((ev, i) => {
        const r = results[i] ?? unreachable();
        if (r.status === 'missing_key') this.await(ev);
        return toMessage(ev, r, verified.has(ev.sender));
      });
      if (out.some((m) => m.status === 'missing_key')) this.keysMissing();
      return out;
    });
  }

  /**
   * Fetches, opens and acknowledges waiting key shares [M2]; re-reads messages that were waiting for them.
   * Resolves once the shares are opened and kept: a page waits for that, not for the acknowledgement or the
   * re-reading, which follow. One fetch at a time (a call during one starts the next after it has been
   * acknowledged, so a share announced meanwhile is not missed and none is opened twice), and only opening
   * takes the queue: an empty answer never holds up decryption.
   */
  fetchShares(): Promise<void> {
    let kept!: () => void;
    const keptNow = new Promise<void>((resolve) => (kept = resolve));
    const run = this.sharesTail.then(() => this.takeShares(kept));
    this.sharesTail = run.catch(() => undefined);
    // A failure before the shares were kept (the fetch, opening) is the caller's; after it, the next fetch
    // takes the same shares again.
    return Promise.race([keptNow, run.then(() => undefined)]);
  }

  private async takeShares(kept: () => void): Promise<void> {
    const { shares } = await this.ctx.api.get('/api/shares', sharesResponse);
    if (shares.length === 0) return kept();
    const opened = await this.queue.run(async () => {
      const me = this.ctx.me();
      const out: { room: string; sender: string; session: SessionShare }[] = [];
      const rooms = await this.verifiedRooms(shares);
      for (const share of shares) {
        const room = rooms.get(share.room);
        // [M6] A share from someone the verified log never let into the room is ignored.
        if (room?.everMember.get(share.sender) === false) continue;
        // [R5] A forwarded share is kept only where the verified create event says history is shared.
        if (share.owner !== undefined && room?.history !== 'shared') continue;
        const keys = await this.pins.keys(share.sender);
        if (!keys) continue;
        const r = await openShare({
          share,
          me: me.user,
          myEncryptionKey: me.encryption,
          senderSigningKey: keys.signing,
        });
        if (r.ok) out.push({ room: share.room, sender: share.owner ?? share.sender, session: r.session });
      }
      await this.keep(out);
      return out;
    });
    kept();
    // [K9] Acknowledged (deleted from the server) only once the account vault holds the sessions: a share
    // collected here stays readable on every device of the account.
    const acked = this.ctx.vault
      .flush()
      .then(() => this.ctx.api.send('POST', '/api/shares/ack', { ids: shares.map((s) => s.id) }));
    await Promise.all([acked, this.queue.run(() => this.recover(opened))]);
  }

  /**
   * Per room of these shares, by the verified fold [R4]: whether each sender was ever a member, and who reads
   * earlier messages [R5]. A room whose log cannot be verified now is left out: its own shares are kept (their
   * senders' messages are judged when read), forwarded ones are not.
   */
  private async verifiedRooms(
    shares: readonly { room: string; sender: string }[],
  ): Promise<Map<string, { everMember: Map<string, boolean>; history: HistoryVisibility }>> {
    const out = new Map<string, { everMember: Map<string, boolean>; history: HistoryVisibility }>();
    for (const room of new Set(shares.map((s) => s.room))) {
      const fold = await this.rooms.fold(room, undefined, { waitForHead: false }).catch(() => null);
      if (!fold) continue;
      const senders = shares.filter((s) => s.room === room).map((s) => s.sender);
      out.set(room, {
        everMember: new Map(senders.map((u) => [u, fold.periods.has(u)])),
        history: fold.state.history,
      });
    }
    return out;
  }

  /**
   * The sender signature of each event [M4]: null when valid, else the status it gives the message. An
   * envelope signed for another room than the one it was delivered in is moved, whoever signed it: tampered,
   * before any key is looked up (or asked for). Stateless (pinned keys only), so a page read ahead can be
   * verified before it is asked for. `signed`: the events' signature inputs when already built (page-read.ts).
   */
  async verifyAll(
    events: readonly MessageEvent[],
    signed?: readonly SignatureInput[],
  ): Promise<(MessageStatus | null)[]> {
    // The keys first (the `tampered` check needs none), then the signatures in one batch.
    const keys = await Promise.all(
      events.map((ev) => (ev.content.room === ev.room ? this.pins.keys(ev.sender) : Promise.resolve(null))),
    );
    const items: VerifyItem[] = [];
    const statuses = events.map((ev, i): MessageStatus | number => {
      if (ev.content.room !== ev.room) return 'tampered';
      const key = keys[i]?.signing;
      if (!key) return 'unknown_sender';
      return items.push({ key, ...(signed?.[i] ?? messageSignatureInput(ev.content, ev.sender)) }) - 1;
    });
    const valid = await this.verifier.verifyAll(items);
    return statuses.map((s) => (typeof s === 'number' ? (valid[s] ? null : 'bad_signature') : s));
  }

  /**
   * [M6] [R4] A validly signed message whose sender was not a member at its seq (by the verified fold) is
   * `not_member`, and is not decrypted. A log that cannot be verified yet decides nothing here: its messages
   * keep the status their keys give them.
   */
  private async membersOnly(
    events: readonly MessageEvent[],
    signed: readonly (MessageStatus | null)[],
  ): Promise<(MessageStatus | null)[]> {
    const last = events.at(-1);
    if (!last) return [...signed];
    const fold = await this.rooms.fold(last.room, last.seq, { waitForHead: false }).catch(() => null);
    if (!fold) return [...signed];
    this.flagStale(fold, events);
    return events.map((ev, i) =>
      signed[i] === null && ev.room === last.room && !wasMemberAt(fold, ev.sender, ev.seq)
        ? 'not_member'
        : signed[i]!,
    );
  }

  /**
   * [M11] A message that names a membership older than a removal before it was encrypted for people no longer
   * in the room: the server should have refused it. Said once per message (`integrity`, stale_membership).
   */
  private flagStale(fold: Fold, events: readonly MessageEvent[]): void {
    const removals = [...fold.periods.values()].flatMap((spells) =>
      spells.flatMap((p) => (p.to === null ? [] : [p.to])),
    );
    for (const ev of events) {
      const id = `${ev.room}|${ev.seq}`;
      if (this.staleReported.has(id)) continue;
      const removal = removals.find((r) => ev.content.memberSeq < r && r < ev.seq);
      if (removal === undefined) continue;
      this.staleReported.add(id);
      this.ctx.emit('integrity', {
        room: ev.room,
        kind: 'stale_membership',
        user: ev.sender,
        detail: `message ${ev.seq} names membership seq ${ev.content.memberSeq}, before the removal at seq ${removal}`,
      });
    }
  }

  /** Opens signed events (run inside the queue): ratchet and AES per session in parallel, then rules in order. */
  private async openVerified(
    events: readonly MessageEvent[],
    signed: readonly (MessageStatus | null)[],
  ): Promise<Opened[]> {
    const sessions = new Map<string, SessionBatch>();
    for (const [i, ev] of events.entries()) {
      if (signed[i] !== null) continue;
      const key = storeKey.inbound(ev.room, ev.sender, ev.content.sessionId);
      const batch: SessionBatch = sessions.get(key) ?? {
        events: [],
        stored: undefined,
        plain: new Map(),
        dirty: false,
      };
      batch.events.push(ev);
      sessions.set(key, batch);
    }
    await Promise.all([...sessions].map(([key, batch]) => this.openSession(key, batch)));
    const out: Opened[] = [];
    for (const [i, ev] of events.entries()) {
      const status = signed[i];
      const batch = sessions.get(storeKey.inbound(ev.room, ev.sender, ev.content.sessionId));
      out.push(status !== null && status !== undefined ? { status } : await this.rules(ev, batch));
    }
    // One write for the page: every session whose used indices grew.
    await this.save([...sessions].flatMap(([key, b]) => (b.dirty && b.stored ? [[key, b.stored] as const] : [])));
    return out;
  }

  /** A stored inbound session, from memory once this client has read or written it. */
  private async load(key: string): Promise<InboundSession | undefined> {
    const kept = this.sessions.get(key);
    if (kept) return kept;
    const s = await this.ctx.store.get<InboundSession>(key);
    if (s) this.remember(key, s);
    return s;
  }

  /** Writes sessions in one store transaction, and keeps them in memory. */
  private async save(entries: readonly (readonly [string, InboundSession])[]): Promise<void> {
    if (entries.length === 0) return;
    for (const [key, s] of entries) this.remember(key, s);
    await this.ctx.store.setMany(entries);
  }

  private remember(key: string, s: InboundSession): void {
    // Re-insert: Map order is the LRU order.
    this.sessions.delete(key);
    this.sessions.set(key, s);
    if (this.sessions.size > MAX_KEPT_SESSIONS) {
      const oldest = this.sessions.keys().next();
      if (!oldest.done) this.sessions.delete(oldest.value);
    }
  }

  /** Loads a session once and decrypts every readable event of the batch concurrently. */
  private async openSession(key: string, batch: SessionBatch): Promise<void> {
    const s = await this.load(key);
    if (!s) return;
    // A copy: `used` grows as the batch is read, and only a saved batch changes what is kept.
    batch.stored = { ...s, used: { ...s.used } };
    const readable = batch.events.filter((ev) => readableIndex(s, ev.content.index));
    const messageKeys = await this.chains.messageKeysAt(
      key,
      s,
      readable.map((ev) => ev.content.index),
    );
    await Promise.all(
      readable.map(async (ev) => {
        const messageKey = messageKeys.get(ev.content.index);
        const mk = await messageKey;
        const body = mk ? await openMessageWithKey(ev.content, ev.sender, mk.key, mk.commit) : null;
        batch.plain.set(ev.seq, body);
      }),
    );
  }

  /** The per-message rules, in seq order: key known, bounded ratchet, no replayed index [M1] [M6]. */
  private async rules(ev: MessageEvent, batch: SessionBatch | undefined): Promise<Opened> {
    const s = batch?.stored;
    const index = ev.content.index;
    if (!batch || !s || s.index > index) return { status: await this.whyNoKey(ev, s) };
    if (!readableIndex(s, index)) return { status: 'tampered' };
    const usedAt = s.used[index];
    if (usedAt !== undefined && usedAt !== ev.seq) return { status: 'replayed' };
    const body = batch.plain.get(ev.seq);
    if (!body) return { status: 'tampered' };
    if (usedAt === undefined) {
      s.used[index] = ev.seq;
      batch.dirty = true;
    }
    return { status: 'ok', text: body.text };
  }

  private async verifiedSenders(events: readonly MessageEvent[]): Promise<Set<string>> {
    const senders = [...new Set(events.map((ev) => ev.sender))];
    const flags = await Promise.all(senders.map((u) => this.pins.isVerified(u)));
    return new Set(senders.filter((_, i) => flags[i]));
  }

  /**
   * before_join when the message predates this user's membership (or the share they got) in a room whose
   * history is "joined"; else missing_key, and the key is asked for: in a "shared" room [R5] the earlier keys
   * come from the inviter or, asked, from their sender.
   */
  private async whyNoKey(ev: MessageEvent, s: InboundSession | undefined): Promise<MessageStatus> {
    // A log that cannot be verified [R4] cannot say when this user joined: the key is asked for all the same.
    const fold = await this.rooms.fold(ev.room, ev.seq, { waitForHead: false }).catch(() => null);
    const shared = fold?.state.history === 'shared';
    if (s && !shared) return 'before_join';
    const since = fold?.since.get(this.ctx.me().user);
    if (!shared && since !== undefined && ev.seq < since) return 'before_join';
    const id = `${ev.room}|${ev.sender}|${ev.content.sessionId}`;
    if (!this.requested.has(id) && this.requestKey(ev.room, ev.sender, ev.content.sessionId))
      this.requested.add(id);
    return 'missing_key';
  }

  /** Logout: the sessions kept in memory go with the store's, so no later sign-in reads with them. */
  forgetSessions(): void {
    this.sessions.clear();
  }

  /**
   * The user is out of `room` (left or removed): every session of it is deleted from the device and from
   * memory, this user's own outbound ones included. Nothing shows a room the user is out of, so nothing needs
   * them; a new membership gets new sessions [M3].
   */
  forgetRoom(room: string): Promise<void> {
    return this.queue.run(async () => {
      const prefix = storeKey.inboundOf(room);
      for (const key of [...this.sessions.keys()]) if (key.startsWith(prefix)) this.sessions.delete(key);
      this.chains.forget(prefix);
      for (const id of [...this.waiting.keys()]) if (id.startsWith(`${room}|`)) this.waiting.delete(id);
      for (const id of [...this.requested]) if (id.startsWith(`${room}|`)) this.requested.delete(id);
      await this.ctx.store.deletePrefix(prefix);
      await this.ctx.store.delete(storeKey.outbound(room));
      await this.ctx.store.delete(storeKey.outboundPast(room));
    });
  }

  /** After (re)connecting: asks again for every key still missing that could not be asked for before. */
  requestWaiting(): void {
    for (const [id, list] of this.waiting) {
      const ev = list.values().next().value;
      if (!ev || this.requested.has(id)) continue;
      if (this.requestKey(ev.room, ev.sender, ev.content.sessionId)) this.requested.add(id);
    }
  }

  private await(ev: MessageEvent): void {
    const id = `${ev.room}|${ev.sender}|${ev.content.sessionId}`;
    const list = this.waiting.get(id) ?? new Map<number, MessageEvent>();
    list.set(ev.seq, ev);
    this.waiting.set(id, list);
  }

  /**
   * Keeps the earliest chain key per (room, sender, session): a later share never narrows what we can read.
   * The shares opened together are written in one store transaction.
   */
  private async keep(opened: readonly { room: string; sender: string; session: SessionShare }[]): Promise<void> {
    const keyOf = (o: (typeof opened)[number]) => storeKey.inbound(o.room, o.sender, o.session.sessionId);
    const stored = new Map(
      await Promise.all(opened.map(async (o) => [keyOf(o), await this.load(keyOf(o))] as const)),
    );
    const earliest = new Map<string, InboundSession>();
    for (const o of opened) {
      const key = keyOf(o);
      const session = o.session;
      const s = earliest.get(key) ?? stored.get(key);
      if (s && s.index <= session.index) continue;
      earliest.set(key, { chainKey: toB64u(session.chainKey), index: session.index, used: s?.used ?? {} });
      this.ctx.vault.queueWrite(vaultId.session(o.room, o.sender, session.sessionId), {
        chainKey: toB64u(session.chainKey),
        index: session.index,
      });
    }
    await this.save([...earliest]);
  }

  /**
   * [K9] A session another device of this account kept (read from the vault): kept here when earlier than
   * what this device holds, and the messages that waited for it are read again.
   */
  adopt(room: string, sender: string, sessionId: string, value: unknown): Promise<void> {
    const parsed = vaultSession.safeParse(value);
    if (!parsed.success) return Promise.resolve();
    const { chainKey, index } = parsed.data;
    return this.queue.run(async () => {
      const key = storeKey.inbound(room, sender, sessionId);
      const s = await this.load(key);
      if (s && s.index <= index) return;
      await this.save([[key, { chainKey, index, used: s?.used ?? {} }]]);
      await this.recover([{ room, sender, session: { sessionId, index, chainKey: fromB64u(chainKey) } }]);
    });
  }

  /** [K9] What this device holds of a session, as the vault keeps it (null: nothing). */
  async vaultRecord(room: string, sender: string, sessionId: string): Promise<unknown> {
    const s = await this.load(storeKey.inbound(room, sender, sessionId));
    return s ? { chainKey: s.chainKey, index: s.index } : null;
  }

  /** Re-reads the messages that waited for the sessions just opened (run inside the queue). */
  private async recover(opened: { room: string; sender: string; session: SessionShare }[]): Promise<void> {
    const again: MessageEvent[] = [];
    for (const o of opened) {
      const id = `${o.room}|${o.sender}|${o.session.sessionId}`;
      const list = this.waiting.get(id);
      if (!list) continue;
      this.waiting.delete(id);
      again.push(...list.values());
    }
    // Grouped by room so that each batch is one room's events in seq order.
    again.sort((a, b) => (a.room === b.room ? a.seq - b.seq : a.room < b.room ? -1 : 1));
    const results = await this.openVerified(again, await this.verifyAll(again));
    const verified = await this.verifiedSenders(again);
    const out = again.flatMap((ev, i) => {
      const r = results[i];
      return r?.status === 'ok' ? [toMessage(ev, r, verified.has(ev.sender))] : [];
    });
    for (const m of out) this.ctx.emit('recovered', m);
  }
}

interface Opened {
  status: MessageStatus;
  text?: string;
}

interface SessionBatch {
  events: MessageEvent[];
  /** The stored session (a copy: `used` grows as the batch is read), undefined when no key is held. */
  stored: InboundSession | undefined;
  /** Decrypted body by seq (null: the AEAD tag failed). */
  plain: Map<number, { text: string } | null>;
  dirty: boolean;
}

const readableIndex = (s: InboundSession, index: number) =>
  index >= s.index && index - s.index <= MAX_RATCHET_STEPS;

function toMessage(ev: MessageEvent, r: Opened, senderVerified: boolean): DecryptedMessage {
  const base = { room: ev.room, seq: ev.seq, ts: ev.ts, sender: ev.sender, clientMsgId: ev.content.clientMsgId };
  return r.status === 'ok' && r.text !== undefined
    ? { ...base, status: 'ok', text: r.text, senderVerified }
    : { ...base, status: r.status, senderVerified };
}

function unreachable(): never {
  throw new RangeError('inbound: a result is missing for an event');
}
