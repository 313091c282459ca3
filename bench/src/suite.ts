// The runs: fan-out per room size and payload (targets interleaved, warm-up first, then repetitions), idle
// memory on fresh processes, and Parley's ingest. Each returns plain figures; report.ts turns them into text.
import { openFleet, runClosedLoop, runOpenLoop, usePayload, type Fleet, type RunSample } from './load.ts';
import { measureIdle, prepareIdle } from './memory.ts';
import { sealTemplate, type EnvelopeTemplate } from './messages.ts';
import type { BenchOptions } from './options.ts';
import { spread, type Spread } from './stats.ts';
import { clientKit } from './targets/parley-accounts.ts';
import type { RoomSpec, Target, TargetFactory } from './targets/target.ts';

/** A run whose generator used more than this share of its core measured the generator, not the server. */
export const GENERATOR_SATURATED = 0.9;
/**
 * Beyond this many cores' worth of CPU taken by other processes during a run, its latencies are flagged: the
 * server and the generator were sharing their cores, and queueing behind them shows up as latency.
 */
export const OTHER_LOAD = 0.1;
/** The largest share of the machine other processes took during any of the runs. */
const otherLoad = (runs: readonly RunSample[]): number => Math.max(0, ...runs.map((r) => r.otherShare || 0));

export interface FanoutFigure {
  target: string;
  roomSize: number;
  payload: number;
  /**
   * Server CPU per delivery under load (the closed-loop runs): the primary ratio, the cost that
   * decides how many deliveries a core carries, and valid even when the generator saturates.
   */
  cpuPerDeliveryUs: Spread;
  /**
   * The same at the fixed offered rate of the latency runs: a room of 100 at 100 msg/s leaves the server
   * idle between messages, so per-message costs (a wake-up, a commit with its fsync) are not shared.
   */
  cpuPerDeliveryAtRateUs: Spread;
  deliveriesPerSec: Spread;
  p50Ms: Spread;
  p99Ms: Spread;
  offeredMessagesPerSec: number;
  generatorSaturated: boolean;
  /** Cores' worth of CPU other processes used during the busiest of the runs. */
  otherLoad: number;
  lostDeliveries: number;
}

export interface MemoryFigure {
  target: string;
  connections: number;
  bytesPerConnection: Spread;
}

export interface IngestFigure {
  target: string;
  offeredPerSec: number;
  ackedPerSec: Spread;
  p50AckMs: Spread;
  p99AckMs: Spread;
  maxPerSec: Spread;
  generatorSaturated: boolean;
  /** Cores' worth of CPU other processes used during the busiest of the runs. */
  otherLoad: number;
}

/** Fewer rooms as they grow, so every size keeps a few hundred sockets at most but several senders. */
export const roomCount = (size: number): number => (size <= 10 ? 4 : size <= 100 ? 2 : 1);

const templates = new Map<string, Promise<EnvelopeTemplate>>();
function templateFor(bytes: number) {
  return async (room: RoomSpec): Promise<EnvelopeTemplate> => {
    const key = `${room.id}/${room.sender}/${bytes}`;
    let t = templates.get(key);
    if (!t)
      templates.set(
        key,
        (t = clientKit().then(({ keys }) =>
          sealTemplate({ room: room.id, sender: room.sender, keys, bytes, memberSeq: room.memberSeq ?? 0 }),
        )),
      );
    return t;
  };
}

const rate = (n: number, ms: number) => (n * 1000) / ms;

export async function runFanout(
  targets: Target[],
  o: BenchOptions,
  log: (s: string) => void,
): Promise<FanoutFigure[]> {
  const figures: FanoutFigure[] = [];
  for (const size of o.roomSizes) {
    const fleets: Fleet[] = [];
    for (const t of targets) fleets.push(await openFleet(t, await t.prepareRooms(roomCount(size), size)));
    try {
      for (const payload of o.payloads) {
        for (const f of fleets) await usePayload(f, templateFor(payload));
        const messageRate = Math.min(o.maxMessageRate, o.deliveryRate / size);
        const window = Math.max(4, Math.ceil(64 / size));
        const samples = new Map<string, { open: RunSample[]; closed: RunSample[] }>();
        for (let rep = 0; rep < o.warmups + o.reps; rep++) {
          for (const f of fleets) {
            const open = await runOpenLoop(f, { rate: messageRate, durationMs: o.openLoopMs });
            const closed = await runClosedLoop(f, { window, durationMs: o.closedLoopMs });
            if (rep < o.warmups) continue;
            const s = samples.get(f.target.name) ?? { open: [], closed: [] };
            s.open.push(open);
            s.closed.push(closed);
            samples.set(f.target.name, s);
          }
        }
        for (const [target, s] of samples) {
          const fig = fanoutFigure(target, size, payload, messageRate, s);
          figures.push(fig);
          log(
            `fan-out room ${size} ${payload} B ${target}: ${fig.cpuPerDeliveryUs.median.toFixed(2)} µs/delivery ` +
              `under load, ${fig.cpuPerDeliveryAtRateUs.median.toFixed(2)} at ${messageRate} msg/s`,
          );
        }
      }
    } finally {
      for (const f of fleets) f.close();
    }
  }
  return figures;
}

function fanoutFigure(
  target: string,
  roomSize: number,
  payload: number,
  offered: number,
  s: { open: RunSample[]; closed: RunSample[] },
): FanoutFigure {
  return {
    target,
    roomSize,
    payload,
    cpuPerDeliveryUs: spread(s.closed.map((r) => r.serverCpuUs / r.deliveries)),
    cpuPerDeliveryAtRateUs: spread(s.open.map((r) => r.serverCpuUs / r.deliveries)),
    deliveriesPerSec: spread(s.closed.map((r) => rate(r.deliveriesWhileSending, r.sendMs))),
    p50Ms: spread(s.open.map((r) => r.p50Ms)),
    p99Ms: spread(s.open.map((r) => r.p99Ms)),
    offeredMessagesPerSec: offered,
    generatorSaturated: [...s.open, ...s.closed].some((r) => r.generatorShare > GENERATOR_SATURATED),
    otherLoad: otherLoad([...s.open, ...s.closed]),
    lostDeliveries: s.open.reduce((n, r) => n + Math.max(0, r.expected - r.deliveries), 0),
  };
}

/** Idle memory: a fresh server process per measurement, targets interleaved. */
export async function runMemory(
  factories: TargetFactory[],
  o: BenchOptions,
  log: (s: string) => void,
): Promise<MemoryFigure[]> {
  const values = new Map<string, number[]>();
  for (let rep = 0; rep < o.memoryReps; rep++) {
    for (const n of o.memoryConnections) {
      // Servers start together (the slow part, and it leaves nothing behind), then are measured one at a time.
      const prepared = await Promise.all(factories.map((f) => prepareIdle(f, n)));
      for (const [i, f] of factories.entries()) {
        const bytes = await measureIdle(prepared[i]!, n);
        const key = `${f.name}/${n}`;
        values.set(key, [...(values.get(key) ?? []), bytes]);
        log(`memory ${f.name} ${n} connections: ${(bytes / 1024).toFixed(1)} KB each`);
      }
    }
  }
  return [...values].map(([key, v]) => {
    const [target = '', n = '0'] = key.split('/');
    return { target, connections: Number(n), bytesPerConnection: spread(v) };
  });
}

/** Ingest: rooms of one member; acks at a fixed offered rate (p99 from intended send time) and the maximum. */
export async function runIngest(
  targets: Target[],
  o: BenchOptions,
  log: (s: string) => void,
): Promise<IngestFigure[]> {
  const fleets: Fleet[] = [];
  for (const t of targets) fleets.push(await openFleet(t, await t.prepareRooms(8, 1)));
  const samples = new Map<string, { open: RunSample[]; closed: RunSample[] }>();
  try {
    for (const f of fleets) await usePayload(f, templateFor(512));
    for (let rep = 0; rep < o.warmups + o.reps; rep++) {
      for (const f of fleets) {
        const open = await runOpenLoop(f, { rate: o.ingestRate, durationMs: o.ingestMs, latencyTo: 'ack' });
        // A group commit of 512 messages can take longer than a short fan-out phase: give ingest a second.
        const closed = await runClosedLoop(f, { window: 64, durationMs: Math.max(1000, o.closedLoopMs) });
        if (rep < o.warmups) continue;
        const s = samples.get(f.target.name) ?? { open: [], closed: [] };
        s.open.push(open);
        s.closed.push(closed);
        samples.set(f.target.name, s);
      }
    }
  } finally {
    for (const f of fleets) f.close();
  }
  return [...samples].map(([target, s]) => {
    const fig: IngestFigure = {
      target,
      offeredPerSec: o.ingestRate,
      ackedPerSec: spread(s.open.map((r) => rate(r.acks, r.wallMs))),
      p50AckMs: spread(s.open.map((r) => r.p50Ms)),
      p99AckMs: spread(s.open.map((r) => r.p99Ms)),
      maxPerSec: spread(s.closed.map((r) => rate(r.deliveriesWhileSending, r.sendMs))),
      generatorSaturated: [...s.open, ...s.closed].some((r) => r.generatorShare > GENERATOR_SATURATED),
      otherLoad: otherLoad([...s.open, ...s.closed]),
    };
    log(
      `ingest ${target}: ${fig.maxPerSec.median.toFixed(0)} msg/s max, p99 ack ${fig.p99AckMs.median.toFixed(1)} ms`,
    );
    return fig;
  });
}
