// The inbound sessions this client has loaded or written, kept as stored: a page reads each from the store once
// per client instead of once per page. Every write of a session that can already be here goes through `save`
// (the sender's own new sessions are written elsewhere, under ids never seen before).
import { toB64u, type SessionShare } from '@parley/protocol';
import { storeKey } from './context.ts';
import type { KeyStore } from './types.ts';

/** A session opened from a share (or the vault), as `owner`'s: the sender whose messages it reads. */
interface Opened {
  room: string;
  sender: string;
  session: SessionShare;
}

export interface InboundSession {
  /** The earliest chain key this user may read (b64u), at `index`. */
  chainKey: string;
  index: number;
  /** Indices already read, with the seq that carried each: the same index at another seq is a replay. */
  used: Record<number, number>;
}

/** Inbound sessions kept in memory once loaded or written (least recently used beyond this are dropped). */
const MAX_KEPT_SESSIONS = 1024;

export class SessionCache {
  private readonly sessions = new Map<string, InboundSession>();

  constructor(private readonly store: KeyStore) {}

  /** A stored inbound session, from memory once this client has read or written it. */
  async load(key: string): Promise<InboundSession | undefined> {
    const kept = this.sessions.get(key);
    if (kept) return kept;
    const s = await this.store.get<InboundSession>(key);
    if (s) this.remember(key, s);
    return s;
  }

  /** Writes sessions in one store transaction, and keeps them in memory. */
  async save(entries: readonly (readonly [string, InboundSession])[]): Promise<void> {
    if (entries.length === 0) return;
    for (const [key, s] of entries) this.remember(key, s);
    await this.store.setMany(entries);
  }

  /**
   * Keeps the earliest chain key per (room, sender, session): a later share never narrows what can be read.
   * The sessions opened together are written in one store transaction; `kept` hears of each one kept.
   */
  async keepEarliest(opened: readonly Opened[], kept: (o: Opened) => void): Promise<void> {
    const keyOf = (o: Opened) => storeKey.inbound(o.room, o.sender, o.session.sessionId);
    const stored = new Map(
      await Promise.all(opened.map(async (o) => [keyOf(o), await this.load(keyOf(o))] as const)),
    );
    const earliest = new Map<string, InboundSession>();
    for (const o of opened) {
      const key = keyOf(o);
      const s = earliest.get(key) ?? stored.get(key);
      if (s && s.index <= o.session.index) continue;
      earliest.set(key, { chainKey: toB64u(o.session.chainKey), index: o.session.index, used: s?.used ?? {} });
      kept(o);
    }
    await this.save([...earliest]);
  }

  /** Deletes every session under `prefix`, here and in the store. */
  async deletePrefix(prefix: string): Promise<void> {
    for (const key of [...this.sessions.keys()]) if (key.startsWith(prefix)) this.sessions.delete(key);
    await this.store.deletePrefix(prefix);
  }

  /** Logout: what is kept in memory goes with the store's, so no later sign-in reads with it. */
  clear(): void {
    this.sessions.clear();
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
}
