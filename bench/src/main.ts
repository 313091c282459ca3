// `npm run bench [-- --quick] [--json]`: Parley against a bare `ws` broadcast server and Socket.IO 4, in one
// run on one machine. Servers run pinned to core 0, this generator pinned to core 1.
import { cpus } from 'node:os';
import { parseOptions } from './options.ts';
import { pinSelf } from './proc.ts';
import { ratios, table, targets, type Results } from './report.ts';
import { runFanout, runIngest, runMemory } from './suite.ts';
import { clientKit } from './targets/parley-accounts.ts';
import { PARLEY_VARIANTS, parleyTarget } from './targets/parley.ts';
import { socketIo, wsBroadcast } from './targets/peers.ts';
import type { Target, TargetFactory } from './targets/target.ts';

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const t0 = performance.now();
  const log = (s: string) => console.error(`[bench +${((performance.now() - t0) / 1000).toFixed(1)}s] ${s}`);
  const notes: string[] = [];
  if (!pinSelf()) notes.push('taskset failed: the generator is not pinned; figures share cores');
  const started = performance.now();
  const variants = o.variants ? PARLEY_VARIANTS : PARLEY_VARIANTS.slice(0, 1);
  const peers = [wsBroadcast, socketIo];
  const fanoutFactories: TargetFactory[] = [...peers, ...variants.map((v) => parleyTarget(v))];
  const memoryFactories: TargetFactory[] = [...peers, parleyTarget()];
  const running: Target[] = [];
  const stopAll = () => Promise.all(running.map((t) => t.stop()));
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  try {
    // Each server joins `running` as soon as it is up, so a failed start still stops the others.
    const up = (f: TargetFactory) => f.start().then((t) => (running.push(t), t));
    await Promise.all([clientKit(), ...fanoutFactories.map(up)]);
    running.sort(
      (a, b) =>
        fanoutFactories.findIndex((f) => f.name === a.name) - fanoutFactories.findIndex((f) => f.name === b.name),
    );
    log(`started ${running.map((t) => `${t.name} (pid ${t.pid})`).join(', ')}`);
    const memory = await runMemory(memoryFactories, o, log);
    const fanout = await runFanout(running, o, log);
    const ingest = await runIngest(
      running.filter((t) => t.name.startsWith('parley')),
      o,
      log,
    );
    const results: Results = {
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version },
      options: o,
      fanout,
      memory,
      ingest,
      notes,
    };
    log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    console.log(table(results));
    if (o.json) console.log(JSON.stringify({ ...results, ratios: ratios(results), targets: targets(results) }));
  } finally {
    await stopAll();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
