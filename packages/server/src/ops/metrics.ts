// Prometheus metrics (prom-client) on a registry of their own, so several apps in one test process never
// share counters. The store and the bus are wrapped, not edited: commit latency and message counts come
// from appendBatch, fan-out latency and delivery lag from every bus message this process hands to sockets.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Bus, BusMessage } from '../bus/bus.ts';
import type { Store } from '../storage/store.ts';

/**
 * A count on the hot path: one field increment per socket write. prom-client's `Counter.inc` costs about a
 * microsecond (argument checks, a label hash), which a room of 1,000 would pay 1,000 times per message; the
 * counter below reads the tally when /metrics is scraped instead.
 */
export class Tally {
  value = 0;
  inc(n = 1): void {
    this.value += n;
  }
}

export interface Metrics {
  readonly registry: Registry;
  readonly deliveries: Tally;
  instrumentStore(store: Store): Store;
  instrumentBus(bus: Bus): Bus;
}

const FAST = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export function createMetrics(openConnections: () => number): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'parley_process_', eventLoopMonitoringPrecision: 1000 });
  new Gauge({
    name: 'parley_connections',
    help: 'Open WebSocket connections on this process',
    registers: [registry],
    collect() {
      this.set(openConnections());
    },
  });
  const messages = new Counter({
    name: 'parley_messages_total',
    help: 'Messages committed',
    registers: [registry],
  });
  const deliveries = new Tally();
  let reported = 0;
  new Counter({
    name: 'parley_deliveries_total',
    help: 'Frames written to sockets',
    registers: [registry],
    collect() {
      this.inc(deliveries.value - reported);
      reported = deliveries.value;
    },
  });
  const commit = new Histogram({
    name: 'parley_commit_seconds',
    help: 'Group commit: one appendBatch transaction',
    buckets: FAST,
    registers: [registry],
  });
  const batchSize = new Histogram({
    name: 'parley_commit_batch_size',
    help: 'Appends per group commit',
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 512],
    registers: [registry],
  });
  const fanOut = new Histogram({
    name: 'parley_fanout_seconds',
    help: 'Writing one bus message to every local socket of its room or user',
    buckets: FAST,
    registers: [registry],
  });
  const lag = new Histogram({
    name: 'parley_delivery_lag_seconds',
    help: 'From commit timestamp to fan-out on this process (crosses processes; includes clock skew)',
    buckets: FAST,
    registers: [registry],
  });

  const instrumentStore = (store: Store): Store => {
    const appendBatch: Store['appendBatch'] = async (items, ts) => {
      const end = commit.startTimer();
      const results = await store.appendBatch(items, ts);
      end();
      batchSize.observe(items.length);
      for (const r of results)
        if (r.ok && !r.duplicate) messages.inc(r.events.filter((e) => e.kind === 'message').length);
      return results;
    };
    return Object.assign(Object.create(store) as Store, { appendBatch });
  };

  const eventTs = (m: BusMessage): number | undefined => {
    const frame =
      m.kind === 'events' ? m.frames[0] : m.kind === 'frame' && m.seq !== undefined ? m.frame : undefined;
    if (frame === undefined) return undefined;
    const match = /"ts":(\d+)/.exec(frame);
    return match ? Number(match[1]) : undefined;
  };

  const instrumentBus = (bus: Bus): Bus => {
    const subscribe: Bus['subscribe'] = (channel, handler) =>
      bus.subscribe(channel, (m) => {
        const ts = eventTs(m);
        if (ts !== undefined) lag.observe(Math.max(0, Date.now() - ts) / 1000);
        const end = fanOut.startTimer();
        handler(m);
        end();
      });
    return Object.assign(Object.create(bus) as Bus, { subscribe });
  };

  return { registry, deliveries, instrumentStore, instrumentBus };
}
