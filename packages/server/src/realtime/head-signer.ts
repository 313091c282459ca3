// [M5] Head countersigning, off the ack path and coalesced. An RSA-PSS-3072 signature costs milliseconds of
// CPU; signed per commit batch it was per-message RSA in effect (a quiet room's every message is its own
// batch). Acks and events leave right after the commit; a room's newest head is signed at most every
// `intervalMs` or after `maxEvents` unsigned events, whichever comes first, before a history read or a
// replay of the room (`flush`), and on drain [D5]. One signature vouches for every event up to its seq
// (docs/protocol.md §2), so coalescing loses nothing a client checks.
import { headBytes, toB64u, type Head, type RoomEvent } from '@parley/protocol';
import type { FastifyBaseLogger } from 'fastify';
import type { Bus } from '../bus/bus.ts';
import type { HeadSigningConfig } from '../config.ts';
import type { ServerKey } from '../security/server-key.ts';
import type { Store } from '../storage/store.ts';

type Unsigned = Omit<Head, 'signature'>;

export interface HeadSignerDeps {
  store: Store;
  bus: Bus;
  serverKey: ServerKey;
  log: FastifyBaseLogger;
  config: HeadSigningConfig;
}

/**
 * A leave or a kick ends what the one who left may read (a former member reads up to that seq): a head exactly
 * there lets them verify everything they may read [R4] [M5], so it is signed whatever the coalescing.
 */
const endsMembership = (e: RoomEvent) =>
  e.kind === 'member' && (e.content.type === 'leave' || e.content.type === 'kick');

export class HeadSigner {
  /** Per room: the newest committed head not signed yet, and how many events it covers unsigned. */
  private readonly pending = new Map<string, { head: Unsigned; events: number }>();
  /** Heads signed whatever the coalescing: at every leave and kick. */
  private readonly required: Unsigned[] = [];
  /** Rounds run one after another, so a room's heads are stored and sent in seq order. */
  private round: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private soon = false;

  constructor(private readonly deps: HeadSignerDeps) {}

  /** Called after each commit with its fresh events, in seq order. */
  committed(events: readonly RoomEvent[]): void {
    if (!this.deps.config.enabled || events.length === 0) return;
    let full = false;
    for (const e of events) {
      const p = this.pending.get(e.room);
      const head = { room: e.room, seq: e.seq, ts: e.ts, chain: e.chain };
      if (endsMembership(e)) this.required.push(head);
      if (!p) this.pending.set(e.room, { head, events: 1 });
      else if (e.seq > p.head.seq) {
        p.head = head;
        full ||= ++p.events >= this.deps.config.maxEvents;
      }
    }
    if (full) this.signSoon();
    else this.timer ??= setTimeout(() => void this.signNow(), this.deps.config.intervalMs).unref();
  }

  /** Resolves once every head committed before the call is signed, stored and published. */
  flush(room?: string): Promise<void> {
    if (room === undefined || this.pending.has(room) || this.required.length > 0) return this.signNow();
    return this.round;
  }

  private signSoon(): void {
    if (this.soon) return;
    this.soon = true;
    setImmediate(() => void this.signNow());
  }

  private signNow(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.soon = false;
    if (this.pending.size === 0 && this.required.length === 0) return this.round;
    const newest = [...this.pending.values()].map((p) => p.head);
    const heads = [
      ...this.required.filter((r) => !newest.some((h) => h.room === r.room && h.seq === r.seq)),
      ...newest,
    ];
    heads.sort((a, b) => a.seq - b.seq);
    this.pending.clear();
    this.required.length = 0;
    this.round = this.round.then(() => this.sign(heads));
    return this.round;
  }

  private async sign(unsigned: readonly Unsigned[]): Promise<void> {
    const { serverKey, store, bus, log } = this.deps;
    let heads: Head[];
    try {
      heads = await Promise.all(
        unsigned.map(async (h) => ({ ...h, signature: toB64u(await serverKey.sign(headBytes(h))) })),
      );
    } catch (err) {
      // The events are committed; the room's next head covers them.
      log.error({ err }, 'signing heads failed');
      return;
    }
    try {
      await store.insertHeads(heads);
    } catch (err) {
      log.error({ err }, 'storing signed heads failed');
    }
    for (const head of heads) {
      bus.publish(`room:${head.room}`, {
        kind: 'frame',
        frame: JSON.stringify({ type: 'head', head }),
        room: head.room,
      });
    }
  }
}
