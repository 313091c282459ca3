// Where the SDK's history time goes, in Chromium: `node --import tsx packages/web/test/bench-profile.ts [runs]`.
// One history of 1,000 messages is written; then each run logs in a fresh reader (its key shares waiting on
// the server, as in bench.ts), reads the history cold under the CDP sampling profiler and once more warm.
// Prints the figures of each run and the functions with the most self time of the first profile; the
// profiles themselves are written to $TMPDIR/parley-history-<run>.cpuprofile (open them in DevTools).
// PROFILE=0: the same runs without the profiler (its sampling slows the page down); HEADS=1: count the heads.
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, MemoryKeyStore } from '@parley/sdk';
import { nodeWebSocket } from '@parley/sdk/node';
import { bundleSdk, measureSdk, writeHistory } from './bench-sdk.ts';
import { startStack } from './harness.ts';

const PASSWORD = 'correct horse battery staple';
const COUNT = 1_000;
const RUNS = Number(process.argv[2] ?? 3);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function (ms), largest first. */
function selfTimes(p: Profile): [string, number][] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  for (const [i, id] of p.samples.entries()) {
    const f = byId.get(id)?.callFrame;
    const name = f ? `${f.functionName || '(anonymous)'}:${f.lineNumber + 1}` : '?';
    totals.set(name, (totals.get(name) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  }
  return [...totals].sort((a, b) => b[1] - a[1]);
}

const register = async (stack: { apiUrl: string }, name: string) => {
  const c = createClient({ server: stack.apiUrl, store: new MemoryKeyStore(), webSocket: nodeWebSocket });
  await c.register(name, PASSWORD);
  return c;
};

const sdkBundle = await bundleSdk(false);
const stack = await startStack(sdkBundle);
try {
  for (let r = 1; r <= RUNS; r++) await (await register(stack, `reader${r}`)).logout();
  await writeHistory(stack, PASSWORD, COUNT);
  if (process.env.HEADS) {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(join(stack.dataDir, 'parley.db'), { readonly: true });
    console.log('heads', db.prepare('select count(*) as n from heads').get());
    db.close();
  }
  for (let r = 1; r <= RUNS; r++) {
    let profile: Profile | undefined;
    const figures = await measureSdk(stack, {
      user: `reader${r}`,
      password: PASSWORD,
      count: COUNT,
      profileCold: async (page, read) => {
        if (process.env.PROFILE === '0') return read();
        const cdp = await page.context().newCDPSession(page);
        await cdp.send('Profiler.enable');
        await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
        await cdp.send('Profiler.start');
        await read();
        profile = (await cdp.send('Profiler.stop')).profile as unknown as Profile;
      },
    });
    console.log(JSON.stringify(figures));
    if (!profile) continue;
    await writeFile(join(tmpdir(), `parley-history-${r}.cpuprofile`), JSON.stringify(profile));
    if (r === 1)
      for (const [name, ms] of selfTimes(profile).slice(0, 40)) console.log(ms.toFixed(1).padStart(8), name);
  }
} finally {
  await stack.close();
}
