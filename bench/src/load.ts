// The load generator: rooms of handshaken sockets on one target, driven open-loop at a fixed offered rate
// (latency from each message's intended send time, so a stalled server cannot hide its queue) or closed-loop
// with a window (throughput). Server CPU comes from /proc around each run; the generator watches its own CPU.
import type WebSocket from 'ws';
import { clientMsgIdOf, MessageStream, type EnvelopeTemplate } from './messages.ts';
import { machineBusyMicros, serverCpuMicros, selfCpuMicros } from './proc.ts';
import { percentiles } from './stats.ts';
import type { RoomSpec, Target } from './targets/target.ts';

/** What the sockets' handlers report to; swapped per run. */
interface Meter {
  deliveries: number;
  acks: number;
  probe(room: number, frame: Buffer): void;
  ack(room: number, frame: Buffer): void;
}
const idleMeter = (): Meter => ({ deliveries: 0, acks: 0, probe: () => undefined, ack: () => undefined });

export interface LiveRoom {
  spec: RoomSpec;
  sender: WebSocket;
  sockets: WebSocket[];
  stream: MessageStream | null;
}

export interface Fleet {
  target: Target;
  rooms: LiveRoom[];
  meter: Meter;
  close(): void;
}

/** Spreads client sockets over loopback source addresses so 10k connections never exhaust one's ports. */
export const sourceAddress = (n: number): string => `127.0.0.${2 + (n % 200)}`;

async function inBatches<T>(count: number, batch: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(batch, count - i);
    out.push(...(await Promise.all(Array.from({ length: n }, (_, k) => make(i + k)))));
  }
  return out;
}

/** Opens every member socket of every room; member 0 sends, member 1 (or 0 alone) is the latency probe. */
export async function openFleet(target: Target, specs: RoomSpec[]): Promise<Fleet> {
  const fleet: Fleet = { target, rooms: [], meter: idleMeter(), close: () => undefined };
  const { wire } = target;
  let opened = 0;
  for (const [r, spec] of specs.entries()) {
    const size = spec.members.length;
    const probeAt = size > 1 ? 1 : 0;
    const sockets = await inBatches(size, 100, async (i) => {
      const ws = await target.connect(spec, i, sourceAddress(opened++));
      ws.on('message', (data: Buffer) => {
        const kind = wire.classify(data);
        if (kind === 'delivery') {
          fleet.meter.deliveries += 1;
          if (i === probeAt) fleet.meter.probe(r, data);
        } else if (kind === 'ack' && i === 0) {
          fleet.meter.acks += 1;
          fleet.meter.ack(r, data);
        }
      });
      return ws;
    });
    const sender = sockets[0];
    if (!sender) throw new Error('a room needs at least one member');
    fleet.rooms.push({ spec, sender, sockets, stream: null });
  }
  fleet.close = () => {
    for (const room of fleet.rooms) for (const ws of room.sockets) ws.terminate();
  };
  return fleet;
}

/** Switches every room's sender to a payload; `templateFor` seals one envelope per room (Parley names it). */
export async function usePayload(fleet: Fleet, templateFor: (room: RoomSpec) => Promise<EnvelopeTemplate>) {
  for (const room of fleet.rooms) room.stream = new MessageStream(await templateFor(room.spec));
}

export interface RunSample {
  sent: number;
  deliveries: number;
  expected: number;
  acks: number;
  serverCpuUs: number;
  wallMs: number;
  /** The sending phase alone, and what arrived during it (throughput, without the drain's tail). */
  sendMs: number;
  deliveriesWhileSending: number;
  /** Fraction of one core the generator used during the run. */
  generatorShare: number;
  /** Cores' worth of CPU used by processes other than the server and the generator (NaN: unknown). */
  otherShare: number;
  p50Ms: number;
  p99Ms: number;
}

interface Clock {
  pending: Map<string, number>;
  latencies: number[];
}
const settle = (clock: Clock, frame: Buffer) => {
  const id = clientMsgIdOf(frame);
  const t0 = id === null ? undefined : clock.pending.get(id);
  if (t0 === undefined || id === null) return;
  clock.latencies.push(performance.now() - t0);
  clock.pending.delete(id);
};

function sendNext(room: LiveRoom, fleet: Fleet, clock: Clock, intended: number): void {
  if (!room.stream) throw new Error('usePayload() before a run');
  const m = room.stream.next();
  clock.pending.set(m.id, intended);
  room.sender.send(fleet.target.wire.encodeSend(m.json));
}

export interface OpenLoopPlan {
  /** Offered messages per second, across all rooms. */
  rate: number;
  durationMs: number;
  /** Measure latency to the sender's ack instead of to the probe's delivery (ingest). */
  latencyTo?: 'delivery' | 'ack';
}

/** Sends at a fixed rate regardless of replies; each message's latency counts from when it was due. */
export async function runOpenLoop(fleet: Fleet, plan: OpenLoopPlan): Promise<RunSample> {
  const clock: Clock = { pending: new Map(), latencies: [] };
  const toAck = plan.latencyTo === 'ack';
  const meter: Meter = {
    deliveries: 0,
    acks: 0,
    probe: (_r, f) => (toAck ? undefined : settle(clock, f)),
    ack: (_r, f) => (toAck ? settle(clock, f) : undefined),
  };
  const total = Math.max(1, Math.round((plan.rate * plan.durationMs) / 1000));
  const interval = 1000 / plan.rate;
  return measure(fleet, meter, clock, async (start) => {
    let i = 0;
    while (i < total) {
      const due = Math.min(total, Math.floor((performance.now() - start) / interval) + 1);
      for (; i < due; i++) {
        const room = fleet.rooms[i % fleet.rooms.length];
        if (room) sendNext(room, fleet, clock, start + i * interval);
      }
      if (i < total) await sleep(1);
    }
    return total;
  });
}

export interface ClosedLoopPlan {
  /** Messages in flight per room (sent, not yet seen by the probe). */
  window: number;
  durationMs: number;
}

/** Keeps `window` messages in flight per room for the duration: the target's (or generator's) throughput. */
export async function runClosedLoop(fleet: Fleet, plan: ClosedLoopPlan): Promise<RunSample> {
  const clock: Clock = { pending: new Map(), latencies: [] };
  let open = true;
  let sent = 0;
  const meter: Meter = {
    deliveries: 0,
    acks: 0,
    probe: (r, f) => {
      settle(clock, f);
      const room = fleet.rooms[r];
      if (open && room) {
        sent += 1;
        sendNext(room, fleet, clock, performance.now());
      }
    },
    ack: () => undefined,
  };
  return measure(fleet, meter, clock, async () => {
    for (const room of fleet.rooms) {
      for (let k = 0; k < plan.window; k++) sendNext(room, fleet, clock, performance.now());
      sent += plan.window;
    }
    await sleep(plan.durationMs);
    open = false;
    return sent;
  });
}

async function measure(
  fleet: Fleet,
  meter: Meter,
  clock: Clock,
  drive: (start: number) => Promise<number>,
): Promise<RunSample> {
  fleet.meter = meter;
  const cpu0 = serverCpuMicros(fleet.target.pid);
  const self0 = selfCpuMicros();
  const busy0 = machineBusyMicros();
  const start = performance.now();
  const sent = await drive(start);
  const expected = sent * averageRoomSize(fleet);
  const sendEnd = performance.now();
  const deliveriesAtSendEnd = meter.deliveries;
  await drain(meter, expected, clock);
  const wallMs = performance.now() - start;
  const serverCpuUs = serverCpuMicros(fleet.target.pid) - cpu0;
  const generatorUs = selfCpuMicros() - self0;
  const sample: RunSample = {
    sent,
    deliveries: meter.deliveries,
    expected,
    acks: meter.acks,
    serverCpuUs,
    wallMs,
    sendMs: sendEnd - start,
    deliveriesWhileSending: deliveriesAtSendEnd,
    generatorShare: generatorUs / 1000 / wallMs,
    otherShare: Math.max(0, machineBusyMicros() - busy0 - serverCpuUs - generatorUs) / 1000 / wallMs,
    ...percentiles(clock.latencies),
  };
  fleet.meter = idleMeter();
  return sample;
}

const averageRoomSize = (fleet: Fleet) =>
  fleet.rooms.reduce((s, r) => s + r.sockets.length, 0) / Math.max(1, fleet.rooms.length);

/** Longest wait for a backlog after the sending phase; a server that needs more is reported as losing. */
const MAX_DRAIN_MS = 5000;

/** Waits until everything expected arrived, or nothing more arrives for a second. */
async function drain(meter: Meter, expected: number, clock: Clock): Promise<void> {
  let last = -1;
  let still = 0;
  const deadline = performance.now() + MAX_DRAIN_MS;
  while ((meter.deliveries < expected || clock.pending.size > 0) && performance.now() < deadline) {
    await sleep(20);
    if (meter.deliveries === last) still += 20;
    else still = 0;
    last = meter.deliveries;
    if (still >= 1000) return;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
