// The results as a table for people and one JSON object for machines (the last line with --json), with the
// ratios the performance issue sets targets on.
import { ratio, type Spread } from './stats.ts';
import { OTHER_LOAD, type FanoutFigure, type IngestFigure, type MemoryFigure } from './suite.ts';

export interface Results {
  machine: { cpu: string; cores: number; node: string };
  options: object;
  fanout: FanoutFigure[];
  memory: MemoryFigure[];
  ingest: IngestFigure[];
  notes: string[];
}

const f = (s: Spread, digits = 1) =>
  s.n === 0 ? 'n/a' : `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;

export function ratios(r: Results): Record<string, number> {
  const out: Record<string, number> = {};
  const fig = (t: string, size: number, p: number) =>
    r.fanout.find((x) => x.target === t && x.roomSize === size && x.payload === p);
  for (const x of r.fanout.filter((x) => x.target.startsWith('parley'))) {
    const key = `${x.target}.cpuPerDelivery.room${x.roomSize}.${x.payload}B`;
    const atRate = `${x.target}.cpuPerDeliveryAtRate.room${x.roomSize}.${x.payload}B`;
    for (const peer of ['ws', 'socketio']) {
      const p = fig(peer, x.roomSize, x.payload);
      out[`${key}/${peer}`] = ratio(x.cpuPerDeliveryUs.median, p?.cpuPerDeliveryUs.median ?? NaN);
      out[`${atRate}/${peer}`] = ratio(x.cpuPerDeliveryAtRateUs.median, p?.cpuPerDeliveryAtRateUs.median ?? NaN);
    }
  }
  const mem = (t: string, n: number) =>
    r.memory.find((x) => x.target === t && x.connections === n)?.bytesPerConnection.median ?? NaN;
  for (const x of r.memory.filter((x) => x.target.startsWith('parley'))) {
    out[`${x.target}.memory.${x.connections}/ws`] = ratio(x.bytesPerConnection.median, mem('ws', x.connections));
    out[`${x.target}.memory.${x.connections}/socketio`] = ratio(
      x.bytesPerConnection.median,
      mem('socketio', x.connections),
    );
  }
  return out;
}

/** The targets, each with the measured value and whether it is met. */
export function targets(r: Results): Record<string, { value: number; limit: string; met: boolean }> {
  const q = ratios(r);
  const vsWs = q['parley.cpuPerDelivery.room100.512B/ws'] ?? NaN;
  const vsSio = q['parley.cpuPerDelivery.room100.512B/socketio'] ?? NaN;
  // Issue 25: direct messages (a room of 2) at most Socket.IO's server CPU per delivery; absent when not run.
  const dmVsSio = q['parley.cpuPerDelivery.room2.512B/socketio'];
  const mem = Math.max(...r.memory.filter((m) => m.target === 'parley').map((m) => m.bytesPerConnection.median));
  const ingest = r.ingest.find((i) => i.target === 'parley');
  return {
    cpuPerDeliveryRoom100VsWs: { value: vsWs, limit: '≤ 1.25', met: vsWs <= 1.25 },
    cpuPerDeliveryRoom100VsSocketio: { value: vsSio, limit: '≤ 0.8', met: vsSio <= 0.8 },
    ...(dmVsSio === undefined
      ? {}
      : { cpuPerDeliveryRoom2VsSocketio: { value: dmVsSio, limit: '≤ 1.0', met: dmVsSio <= 1 } }),
    idleBytesPerConnection: { value: mem, limit: '≤ 12288', met: mem <= 12 * 1024 },
    ingestMessagesPerSec: {
      value: ingest?.maxPerSec.median ?? NaN,
      limit: '≥ 5000',
      met: (ingest?.maxPerSec.median ?? 0) >= 5000,
    },
    ingestP99AckMs: {
      value: ingest?.p99AckMs.median ?? NaN,
      limit: '≤ 50',
      met: (ingest?.p99AckMs.median ?? Infinity) <= 50,
    },
  };
}

const otherLoadFlag = (cores: number): string =>
  cores > OTHER_LOAD ? `other processes used up to ${cores.toFixed(1)} cores` : '';

export function table(r: Results): string {
  const lines = [
    `machine: ${r.machine.cpu}, ${r.machine.cores} cores, node ${r.machine.node}`,
    'medians of the repetitions, (min–max)',
    '',
    '| room | payload | target | server CPU µs/delivery, under load | deliveries/s (closed loop) | ' +
      'server CPU µs/delivery at offered rate | p50 ms | p99 ms | offered msg/s | flags |',
    '| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const x of r.fanout) {
    const flags = [
      x.generatorSaturated ? 'generator saturated' : '',
      otherLoadFlag(x.otherLoad),
      x.lostDeliveries ? `${x.lostDeliveries} lost` : '',
    ]
      .filter(Boolean)
      .join(', ');
    lines.push(
      `| ${x.roomSize} | ${x.payload} | ${x.target} | ${f(x.cpuPerDeliveryUs, 2)} | ${f(x.deliveriesPerSec, 0)} | ` +
        `${f(x.cpuPerDeliveryAtRateUs, 2)} | ${f(x.p50Ms)} | ${f(x.p99Ms)} | ${x.offeredMessagesPerSec.toFixed(0)} | ` +
        `${flags} |`,
    );
  }
  lines.push('', '| connections | target | idle KB per connection |', '| ---: | --- | ---: |');
  for (const m of r.memory) {
    const kb = {
      ...m.bytesPerConnection,
      median: m.bytesPerConnection.median / 1024,
      min: m.bytesPerConnection.min / 1024,
      max: m.bytesPerConnection.max / 1024,
    };
    lines.push(`| ${m.connections} | ${m.target} | ${f(kb)} |`);
  }
  lines.push(
    '',
    '| target | offered msg/s | acked msg/s | p50 ack ms | p99 ack ms | max msg/s (closed loop) | flags |',
  );
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const i of r.ingest) {
    lines.push(
      `| ${i.target} | ${i.offeredPerSec} | ${f(i.ackedPerSec, 0)} | ${f(i.p50AckMs)} | ${f(i.p99AckMs)} | ` +
        `${f(i.maxPerSec, 0)} | ${[i.generatorSaturated ? 'generator saturated' : '', otherLoadFlag(i.otherLoad)]
          .filter(Boolean)
          .join(', ')} |`,
    );
  }
  lines.push('', '| target | measured | limit | met |', '| --- | ---: | --- | --- |');
  for (const [name, t] of Object.entries(targets(r))) {
    lines.push(
      `| ${name} | ${Number.isFinite(t.value) ? t.value.toFixed(2) : 'n/a'} | ${t.limit} | ${t.met ? 'yes' : 'NO'} |`,
    );
  }
  if (r.notes.length > 0) lines.push('', ...r.notes.map((n) => `note: ${n}`));
  return lines.join('\n');
}
