// The receiving side [M1] [M2] [M6]: key shares are opened and kept at the earliest index, messages are verified
// and decrypted, and a message that can't be shown says why (and a missing key is asked for). Its parts: the
// checks before decryption (message-checks.ts), the sessions held (session-cache.ts), the messages waiting for
// a key (missing-keys.ts). Opening shares and decrypting stay here, over one queue (so the file is a little
// over 300 lines): a share opened while a page is being read must not interleave with it.
import { z } from 'zod';
import {
  b64uBytes,
  fromB64u,
  openMessageWithKey,
  openShare,
  sharesResponse,
  toB64u,
  type SessionShare,
} from '@parley/protocol';
import { ChainCache } from './chain-cache.ts';
import { MessageChecks, type MessageEvent } from './message-checks.ts';
import { MissingKeys, waitsForKey, type RequestKey } from './missing-keys.ts';
import { SessionCache, type InboundSession } from './session-cache.ts';
import type { SignatureInput } from './page-read.ts';
import type { Verifier } from './verifier.ts';
import { SerialQueue, storeKey, vaultId, type Ctx } from './context.ts';
import type { Pins } from './pins.ts';
import type { Rooms } from './rooms.ts';
import type { DecryptedMessage, MessageStatus } from './types.ts';

export type { InboundSession } from './session-cache.ts';
export type { MessageEvent } from './message-checks.ts';

/** [K9] A session as the account vault keeps it: the earliest chain key this account may read, at `index`. */
const vaultSession = z.object({ chainKey: b64uBytes(32), index: z.number().int().min(0).max(0xffff_ffff) });

/**
 * How far past its stored chain key a reader ratchets [M1] [M6]. A sender rotates after 100 messages, so an
 * honest index is never this far; a farther one (up to 2^32 − 1 HMAC steps) is an attack on the reader's CPU
 * and the message is `tampered`, without a single step taken. Megolm bounds its skipped keys the same way.
 */
export const MAX_RATCHET_STEPS = 1000;

export interface InboundParts {
  pins: Pins;
  rooms: Rooms;
  /** Verifies signatures off the page's thread where it can. */
  verifier: Verifier;
  /** Sends a key_request; false when it could not be sent (offline): it is retried by `requestWaiting`. */
  requestKey: RequestKey;
  /** Messages lack their keys: another device of the account may have kept them in the vault [K9]. */
  keysMissing: () => void;
}

export class Inbound {
  private readonly queue = new SerialQueue();
  private readonly chains = new ChainCache();
  private readonly sessions: SessionCache;
  private readonly checks: MessageChecks;
  private readonly missing: MissingKeys;
  private readonly pins: Pins;
  private readonly rooms: Rooms;
  private readonly keysMissing: InboundParts['keysMissing'];
  /** The last fetchShares: the next one starts after it. */
  private sharesTail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ctx: Ctx,
    parts: InboundParts,
  ) {
    ({ pins: this.pins, rooms: this.rooms, keysMissing: this.keysMissing } = parts);
    this.sessions = new SessionCache(ctx.store);
    this.checks = new MessageChecks(ctx, parts);
    this.missing = new MissingKeys(ctx, parts.rooms, parts.requestKey);
  }

  decrypt(ev: MessageEvent): Promise<DecryptedMessage> {
    return this.decryptMany([ev]).then((out) => out[0] ?? unreachable());
  }

  /**
   * Verifies and decrypts events of one room, oldest first (`verified`: their verifyAll, started earlier).
   * Signatures are verified concurrently and each session ratchets once for the whole batch; the replay rule
   * [M1] is then applied in seq order, exactly as if the messages had been read one at a time.
   */
  async decryptMany(
    events: readonly MessageEvent[],
    verified?: Promise<(MessageStatus | null)[]>,
  ): Promise<DecryptedMessage[]> {
    const signed = await this.checks.membersOnly(events, await (verified ?? this.verifyAll(events)));
    return this.queue.run(async () => {
      const results = await this.openVerified(events, signed);
      const verified = await this.checks.verifiedSenders(events);
      const out = events.map((ev, i) => {
        const r = results[i] ?? unreachable();
        if (waitsForKey(r.status)) this.missing.wait(ev);
        return toMessage(ev, r, verified.has(ev.sender));
      });
      if (out.some((m) => waitsForKey(m.status))) this.keysMissing();
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
      const rooms = await this.checks.shareRooms(shares);
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
      await this.sessions.keepEarliest(out, (o) =>
        this.ctx.vault.queueWrite(vaultId.session(o.room, o.sender, o.session.sessionId), {
          chainKey: toB64u(o.session.chainKey),
          index: o.session.index,
        }),
      );
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

  /** The sender signature of each event [M4] (message-checks.ts): null when valid, else the status it gives. */
  verifyAll(
    events: readonly MessageEvent[],
    signed?: readonly SignatureInput[],
  ): Promise<(MessageStatus | null)[]> {
    return this.checks.signatures(events, signed);
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
    await this.sessions.save(
      [...sessions].flatMap(([key, b]) => (b.dirty && b.stored ? [[key, b.stored] as const] : [])),
    );
    return out;
  }

  /** Loads a session once and decrypts every readable event of the batch concurrently. */
  private async openSession(key: string, batch: SessionBatch): Promise<void> {
    const s = await this.sessions.load(key);
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
    if (!batch || !s || s.index > index) return { status: await this.missing.why(ev, s) };
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
      this.chains.forget(prefix);
      this.missing.forgetRoom(room);
      await this.sessions.deletePrefix(prefix);
      await this.ctx.store.delete(storeKey.outbound(room));
      await this.ctx.store.delete(storeKey.outboundPast(room));
    });
  }

  /**
   * [M6] `sender` has left `room`: the messages shown as waiting for their key, again with status
   * sender_left, as nobody can send it now (they still wait for the vault).
   */
  senderLeft(room: string, sender: string): Promise<DecryptedMessage[]> {
    return this.queue.run(async () => {
      const gone = this.missing.senderLeft(room, sender);
      const verified = await this.checks.verifiedSenders(gone);
      return gone.map((ev) => toMessage(ev, { status: 'sender_left' }, verified.has(ev.sender)));
    });
  }

  /** After (re)connecting: asks again for every key still missing that could not be asked for before. */
  requestWaiting(): void {
    this.missing.requestWaiting();
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
      const s = await this.sessions.load(key);
      if (s && s.index <= index) return;
      await this.sessions.save([[key, { chainKey, index, used: s?.used ?? {} }]]);
      await this.recover([{ room, sender, session: { sessionId, index, chainKey: fromB64u(chainKey) } }]);
    });
  }

  /** [K9] What this device holds of a session, as the vault keeps it (null: nothing). */
  async vaultRecord(room: string, sender: string, sessionId: string): Promise<unknown> {
    const s = await this.sessions.load(storeKey.inbound(room, sender, sessionId));
    return s ? { chainKey: s.chainKey, index: s.index } : null;
  }

  /** Re-reads the messages that waited for the sessions just opened (run inside the queue). */
  private async recover(opened: { room: string; sender: string; session: SessionShare }[]): Promise<void> {
    const again = this.missing.take(opened.map((o) => ({ ...o, sessionId: o.session.sessionId })));
    const results = await this.openVerified(again, await this.verifyAll(again));
    const verified = await this.checks.verifiedSenders(again);
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
