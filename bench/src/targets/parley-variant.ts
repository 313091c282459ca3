// A Parley server with one cost switched off, for the benchmark only (parley.ts starts it with BENCH_VARIANT).
// The server's own configuration cannot express these: acks before the fsync break [D1], a log without
// countersigned heads breaks [M5]. Each variant shows what that one cost is, next to the real server.
import { loadConfig, type Config } from '../../../packages/server/src/config.ts';
import { start } from '../../../packages/server/src/start.ts';

const VARIANTS: Record<string, (c: Config) => Config> = {
  // SQLite commits without any flush: what the durable ack costs.
  nosync: (c) => (c.database.kind === 'sqlite' ? { ...c, database: { ...c.database, synchronous: 'off' } } : c),
  // No head countersignatures: what [M5] costs.
  nosign: (c) => ({ ...c, headSigning: { ...c.headSigning, enabled: false } }),
};

const name = process.env.BENCH_VARIANT ?? '';
const variant = VARIANTS[name];
if (!variant) throw new Error(`BENCH_VARIANT must be one of ${Object.keys(VARIANTS).join(', ')}, got "${name}"`);
const server = await start(variant(loadConfig()));
// The same line as the server's main.ts: the benchmark reads the port from it.
console.log(`parley server listening on ${server.url} (data in ${server.dataDir})`);
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => void server.close().then(() => process.exit(0)));
