// Command-line options of `npm run bench`, resolved once into a frozen plan (units in the names).

export interface BenchOptions {
  quick: boolean;
  json: boolean;
  /** Measured repetitions per target, after `warmups` unmeasured ones; targets interleave within each. */
  reps: number;
  warmups: number;
  roomSizes: number[];
  payloads: number[];
  /** Idle connections per memory measurement, and fresh server processes per count and target. */
  memoryConnections: number[];
  memoryReps: number;
  /** Open loop: offered deliveries per second (messages/s = this / room size, capped by maxMessageRate). */
  deliveryRate: number;
  maxMessageRate: number;
  openLoopMs: number;
  closedLoopMs: number;
  /** Ingest: offered messages per second to rooms of one, for the ack latency at that rate. */
  ingestRate: number;
  ingestMs: number;
  /** Also run the Parley variants (data on tmpfs, and those the server's config can switch). */
  variants: boolean;
}

const FULL: BenchOptions = {
  quick: false,
  json: false,
  reps: 5,
  warmups: 1,
  roomSizes: [2, 10, 100, 1000],
  payloads: [512, 4096],
  memoryConnections: [1000, 5000, 10_000],
  memoryReps: 3,
  deliveryRate: 10_000,
  maxMessageRate: 1000,
  openLoopMs: 1500,
  closedLoopMs: 1000,
  ingestRate: 5000,
  ingestMs: 2000,
  variants: true,
};

const QUICK: Partial<BenchOptions> = {
  quick: true,
  roomSizes: [2, 100],
  payloads: [512],
  memoryConnections: [1000],
  memoryReps: 1,
  openLoopMs: 600,
  closedLoopMs: 300,
  ingestMs: 200,
  variants: false,
};

/** `--quick`, `--json`, `--reps=N`, `--rooms=2,100`, `--payloads=512`, `--no-variants`. */
export function parseOptions(argv: readonly string[]): BenchOptions {
  const o: BenchOptions = { ...FULL, ...(argv.includes('--quick') ? QUICK : {}) };
  o.json = argv.includes('--json');
  if (argv.includes('--no-variants')) o.variants = false;
  for (const arg of argv) {
    const [key, value] = arg.split('=') as [string, string | undefined];
    if (value === undefined) continue;
    const list = value.split(',').map(Number);
    if (list.some((n) => !Number.isFinite(n) || n <= 0)) throw new Error(`${key} needs positive numbers`);
    if (key === '--reps') o.reps = list[0] ?? o.reps;
    else if (key === '--rooms') o.roomSizes = list;
    else if (key === '--payloads') o.payloads = list;
    else if (key === '--memory') o.memoryConnections = list;
    else throw new Error(`unknown option ${key}`);
  }
  return Object.freeze(o);
}
