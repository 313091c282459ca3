// The receiving side [M1] [M2] [M6]: key shares are opened and kept at the earliest index, messages are verified
// and decrypted, and a message that can't be shown says why (and a missing key is asked for).
import {
  fromB64u,
  openMessage,
  openShare,
  ratchetTo,
  toB64u,
  verifyMessageSignature,
  type RoomEvent,
  type SessionShare,
} from '@parley/protocol';
import { SerialQueue, storeKey, type Ctx } from './context.ts';
import type { Pins } from './pins.ts';
import type { Rooms } from './rooms.ts';
import { sharesAnswer } from './schemas.ts';
import type { DecryptedMessage, MessageStatus } from './types.ts';

export interface InboundSession {
  /** The earliest chain key this user may read (b64u), at `index`. */
  chainKey: string;
  index: number;
  /** Indices already read, with the seq that carried each: the same index at another seq is a replay. */
  used: Record<number, number>;
}

export type MessageEvent = Extract<RoomEvent, { kind: 'message' }>;

/** A sender never needs this many steps in one session (it rotates after 100): more is an attack on our CPU. */
const MAX_RATCHET_STEPS = 1000;

export class Inbound {
  private readonly queue = new SerialQueue();
  /** Messages waiting for a key, by room|sender|session. */
  private readonly waiting = new Map<string, Map<number, MessageEvent>>();
  private readonly requested = new Set<string>();

  constructor(
    private readonly ctx: Ctx,
    private readonly pins: Pins,
    private readonly rooms: Rooms,
    /** Sends a key_request; false when it could not be sent (offline): it is retried by `requestWaiting`. */
    private readonly requestKey: (room: string, sender: string, sessionId: string) => boolean,
  ) {}

  decrypt(ev: MessageEvent): Promise<DecryptedMessage> {
    return this.queue.run(async () => {
      const { status, text } = await this.open(ev);
      const senderVerified = await this.pins.isVerified(ev.sender);
      const base = {
        room: ev.room,
        seq: ev.seq,
        ts: ev.ts,
        sender: ev.sender,
        clientMsgId: ev.content.clientMsgId,
      };
      if (status === 'missing_key') this.await(ev);
      return status === 'ok' ? { ...base, status, text, senderVerified } : { ...base, status, senderVerified };
    });
  }

  /** Fetches, opens and acknowledges waiting key shares [M2]; re-reads messages that were waiting for them. */
  fetchShares(): Promise<DecryptedMessage[]> {
    return this.queue.run(async () => {
      const me = this.ctx.me();
      const { shares } = await this.ctx.api.get('/api/shares', sharesAnswer);
      if (shares.length === 0) return [];
      const opened: { room: string; sender: string; session: SessionShare }[] = [];
      for (const share of shares) {
        const keys = await this.pins.keys(share.sender);
        if (!keys) continue;
        const r = await openShare({
          share,
          me: me.user,
          myEncryptionKey: me.encryption,
          senderSigningKey: keys.signing,
        });
        if (r.ok) opened.push({ room: share.room, sender: share.sender, session: r.session });
      }
      for (const o of opened) await this.keep(o.room, o.sender, o.session);
      await this.ctx.api.send('POST', '/api/shares/ack', { ids: shares.map((s) => s.id) });
      return this.recover(opened);
    });
  }

  private async open(ev: MessageEvent): Promise<{ status: MessageStatus; text?: string }> {
    const env = ev.content;
    const keys = await this.pins.keys(ev.sender);
    if (!keys) return { status: 'unknown_sender' };
    if (!(await verifyMessageSignature(env, ev.sender, keys.signing))) return { status: 'bad_signature' };
    const key = storeKey.inbound(ev.room, ev.sender, env.sessionId);
    const s = await this.ctx.store.get<InboundSession>(key);
    if (!s || s.index > env.index) return { status: await this.whyNoKey(ev, s) };
    if (env.index - s.index > MAX_RATCHET_STEPS) return { status: 'tampered' };
    const usedAt = s.used[env.index];
    if (usedAt !== undefined && usedAt !== ev.seq) return { status: 'replayed' };
    const body = await openMessage(env, ev.sender, await ratchetTo(fromB64u(s.chainKey), s.index, env.index));
    if (!body) return { status: 'tampered' };
    if (usedAt === undefined) await this.ctx.store.set(key, { ...s, used: { ...s.used, [env.index]: ev.seq } });
    return { status: 'ok', text: body.text };
  }

  /** before_join when the message predates this user's membership (or the share they got), else missing_key. */
  private async whyNoKey(ev: MessageEvent, s: InboundSession | undefined): Promise<MessageStatus> {
    if (s) return 'before_join';
    const since = (await this.rooms.fold(ev.room, ev.seq)).since.get(this.ctx.me().user);
    if (since !== undefined && ev.seq < since) return 'before_join';
    const id = `${ev.room}|${ev.sender}|${ev.content.sessionId}`;
    if (!this.requested.has(id) && this.requestKey(ev.room, ev.sender, ev.content.sessionId))
      this.requested.add(id);
    return 'missing_key';
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

  /** Keeps the earliest chain key per (room, sender, session): a later share never narrows what we can read. */
  private async keep(room: string, sender: string, session: SessionShare): Promise<void> {
    const key = storeKey.inbound(room, sender, session.sessionId);
    const s = await this.ctx.store.get<InboundSession>(key);
    if (s && s.index <= session.index) return;
    await this.ctx.store.set(key, {
      chainKey: toB64u(session.chainKey),
      index: session.index,
      used: s?.used ?? {},
    });
  }

  private async recover(
    opened: { room: string; sender: string; session: SessionShare }[],
  ): Promise<DecryptedMessage[]> {
    const out: DecryptedMessage[] = [];
    for (const o of opened) {
      const id = `${o.room}|${o.sender}|${o.session.sessionId}`;
      const list = this.waiting.get(id);
      if (!list) continue;
      this.waiting.delete(id);
      for (const ev of [...list.values()].sort((a, b) => a.seq - b.seq)) {
        const r = await this.open(ev);
        if (r.status === 'ok') {
          const base = {
            room: ev.room,
            seq: ev.seq,
            ts: ev.ts,
            sender: ev.sender,
            clientMsgId: ev.content.clientMsgId,
          };
          const senderVerified = await this.pins.isVerified(ev.sender);
          out.push({ ...base, status: 'ok', text: r.text, senderVerified });
        }
      }
    }
    for (const m of out) this.ctx.emit('recovered', m);
    return out;
  }
}
