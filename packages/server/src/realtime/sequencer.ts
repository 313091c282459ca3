// The room sequencer: GROUP COMMIT [D1]. Appends submitted during one tick are committed in one transaction;
// appends that arrive while a commit (and its fsync) runs wait for the next one. Right after the commit every
// append is acked and the events fan out, each frame serialised once per room; the heads are countersigned
// later, coalesced, by the HeadSigner [M5]: no RSA between a commit and its acks.
import type { RoomEvent } from '@parley/protocol';
import type { FastifyBaseLogger } from 'fastify';
import { AppError } from '../errors.ts';
import type { Bus, BusMessage } from '../bus/bus.ts';
import type { AppendInput, Store } from '../storage/store.ts';
import type { HeadSigner } from './head-signer.ts';
import { eventFrame } from './frames.ts';

/** Bounds one transaction so a flood cannot hold the write lock for long. */
const MAX_BATCH = 512;

interface Pending {
  input: AppendInput;
  resolve(events: RoomEvent[]): void;
  reject(err: AppError): void;
}

export interface SequencerDeps {
  store: Store;
  bus: Bus;
  heads: HeadSigner;
  log: FastifyBaseLogger;
}

export class Sequencer {
  private queue: Pending[] = [];
  private running: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly deps: SequencerDeps) {}

  /** Resolves after durable commit with the item's events (the original ones for a resend [D2]). */
  submit(input: AppendInput): Promise<RoomEvent[]> {
    if (this.closed) return Promise.reject(new AppError('UNAVAILABLE', 'the server is shutting down'));
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.running ??= this.run();
    });
  }

  /** [D5] Stops taking appends and waits for everything already taken to be committed and acked. */
  async drain(): Promise<void> {
    this.closed = true;
    while (this.running) await this.running;
    await this.deps.heads.flush();
  }

  private async run(): Promise<void> {
    // One macrotask turn lets every frame already read from every socket join this batch.
    await new Promise((r) => setImmediate(r));
    while (this.queue.length > 0) await this.commit(this.queue.splice(0, MAX_BATCH));
    this.running = null;
  }

  private async commit(batch: Pending[]): Promise<void> {
    const ts = Date.now();
    let results;
    try {
      results = await this.deps.store.appendBatch(
        batch.map((p) => p.input),
        ts,
      );
    } catch (cause) {
      this.deps.log.error({ err: cause }, 'group commit failed');
      for (const p of batch) p.reject(new AppError('INTERNAL', 'could not store the event', { cause }));
      return;
    }
    const fresh = results.flatMap((r) => (r.ok && !r.duplicate ? r.events : []));
    batch.forEach((p, i) => {
      const r = results[i]!;
      if (r.ok) p.resolve(r.events);
      else p.reject(new AppError(r.code, r.message));
    });
    this.fanOut(fresh);
    this.deps.heads.committed(fresh);
  }

  /**
   * Each event serialised once. A room's consecutive messages in the batch travel as one run (one write per
   * socket); a membership change ends its room's run, so sockets see every event in seq order.
   */
  private fanOut(events: readonly RoomEvent[]): void {
    const runs = new Map<string, { seq: number; frames: string[] }>();
    const flush = (room: string) => {
      const run = runs.get(room);
      if (!run) return;
      runs.delete(room);
      this.publishRun(room, run.seq, run.frames);
    };
    for (const event of events) {
      const frame = eventFrame(event);
      if (event.kind === 'member') {
        flush(event.room);
        this.publishMember(event, frame);
        continue;
      }
      const run = runs.get(event.room);
      if (run && run.seq + run.frames.length === event.seq) run.frames.push(frame);
      else {
        flush(event.room);
        runs.set(event.room, { seq: event.seq, frames: [frame] });
      }
    }
    for (const room of [...runs.keys()]) flush(room);
  }

  private publishRun(room: string, seq: number, frames: string[]): void {
    const channel = `room:${room}` as const;
    if (frames.length === 1) this.deps.bus.publish(channel, { kind: 'frame', frame: frames[0]!, room, seq });
    else this.deps.bus.publish(channel, { kind: 'events', room, seq, frames });
  }

  private publishMember(event: Extract<RoomEvent, { kind: 'member' }>, frame: string): void {
    const { type, target } = event.content;
    const msg: BusMessage = {
      kind: 'frame',
      frame,
      room: event.room,
      seq: event.seq,
      membership: { type, target },
    };
    // The target may have no socket in any room process subscribed to; its own channel reaches it.
    this.deps.bus.publish(`user:${target}`, msg);
    this.deps.bus.publish(`room:${event.room}`, msg);
  }
}
