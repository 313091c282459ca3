// The SDK alone in Chromium, for the figures the UI would blur: PBKDF2 on its own, and decrypting + verifying
// 1,000 history messages. The SDK is bundled by Vite (as the app bundles it) and loaded into a page of the web
// origin, so it talks to the real API through the web server with cookie auth and keeps keys in IndexedDB.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type * as BenchEntry from './bench-entry.ts';
import { createClient, isParleyError, MemoryKeyStore } from '@parley/sdk';
import { nodeWebSocket } from '@parley/sdk/node';
import type { Stack } from './harness.ts';

/** Registers `writer` and posts `count` messages to "general", waiting out the send rate limit. */
export async function writeHistory(stack: Stack, password: string, count: number): Promise<void> {
  const writer = createClient({ server: stack.apiUrl, store: new MemoryKeyStore(), webSocket: nodeWebSocket });
  await writer.register('writer', password);
  for (let i = 1; i <= count; i++) {
    for (;;) {
      try {
        await writer.send('general', `history message ${i}`);
        break;
      } catch (e) {
        if (!isParleyError(e, 'RATE_LIMITED')) throw e;
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  }
  await writer.logout();
}

export interface SdkFigures {
  pbkdf2Ms: number;
  loginMs: number;
  /** First read: pages of 200 back through 1,000 messages, each fetched, verified and decrypted. */
  history1000Ms: number;
  /** The same 1,000 messages read again (keys and heads already known: the warm path). */
  history1000WarmMs: number;
  messages: number;
  /** Whether the SDK's signature worker ran (see packages/sdk/src/verifier.ts). */
  verifyWorker: boolean;
}

export interface SdkRun {
  user: string;
  password: string;
  count: number;
  /** Records a CDP CPU profile of the first (cold) read; see bench-profile.ts. */
  profileCold?: (page: Page, read: () => Promise<void>) => Promise<void>;
}

/** The bench bundle: files by path under bench/ of the web build (the entry, its worker, a page that loads it). */
export type SdkBundle = Map<string, Buffer>;

/**
 * Bundles bench-entry.ts as the app bundles the SDK (an ES module, its worker as a chunk of its own) and a
 * page that loads it, as files to add under bench/ of the web build (startStack's extraFiles). The web
 * server then serves them as it serves the app, under its CSP, so the SDK runs under the same rules (its worker
 * included) and its requests reach the API as the app's do: no browser-side interception, which would add a
 * DevTools round trip to every API call.
 */
export async function bundleSdk(minify = true): Promise<SdkBundle> {
  const { build } = await import('vite');
  const dir = await mkdtemp(join(tmpdir(), 'parley-bench-sdk-'));
  try {
    await build({
      configFile: false,
      logLevel: 'warn',
      mode: 'production',
      base: './',
      build: {
        outDir: dir,
        emptyOutDir: true,
        minify,
        lib: { entry: join(import.meta.dirname, 'bench-entry.ts'), formats: ['es'], fileName: 'bench-entry' },
      },
    });
    const files: SdkBundle = new Map();
    const walk = async (sub: string): Promise<void> => {
      for (const entry of await readdir(join(dir, sub), { withFileTypes: true })) {
        const path = sub ? `${sub}/${entry.name}` : entry.name;
        if (entry.isDirectory()) await walk(path);
        else files.set(`bench/${path}`, await readFile(join(dir, path)));
      }
    };
    await walk('');
    const entry = [...files.keys()].find((f) => f.startsWith('bench/bench-entry'));
    if (!entry) throw new Error('the SDK bench bundle was not built');
    const page = `<!doctype html><title>bench</title><script type="module" src="/${entry}"></script>`;
    files.set('bench/index.html', Buffer.from(page));
    return files;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

type BenchGlobal = { parleyBench: typeof BenchEntry; benchClient: BenchEntry.ParleyClient };

/** `stack` must have been started with the bundle as its extraFiles (see bundleSdk). */
export async function measureSdk(stack: Stack, run: SdkRun): Promise<SdkFigures> {
  const { user, password, count } = run;
  const context = await stack.browser.newContext();
  try {
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error(`[bench page error] ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') console.error(`[bench console] ${m.text()}`);
    });
    await page.goto(`${stack.webUrl}/bench/index.html`);
    await page.waitForFunction(() => 'parleyBench' in globalThis);
    // Steps are separate evaluations (the client kept on the page's global) so a profiler can wrap one.
    const start = await page.evaluate(
      async ({ user, password }) => {
        const g = globalThis as unknown as BenchGlobal;
        const b = g.parleyBench;
        const pbkdf2Ms = await b.pbkdf2Ms(password);
        g.benchClient = b.createClient({
          server: location.origin,
          store: new b.IdbStore({ name: 'parley-bench' }),
          auth: 'cookie',
        });
        const t1 = performance.now();
        await g.benchClient.login(user, password);
        return { pbkdf2Ms, loginMs: performance.now() - t1 };
      },
      { user, password },
    );
    const read = () =>
      page.evaluate(async (count) => {
        const g = globalThis as unknown as BenchGlobal;
        return g.parleyBench.readHistoryMs(g.benchClient, 'general', count);
      }, count);
    let cold: { ms: number; ok: number } | undefined;
    if (run.profileCold) {
      await run.profileCold(page, async () => {
        cold = await read();
      });
    } else cold = await read();
    const warm = await read();
    // Whether signatures were verified by the SDK's worker (it loads only where the CSP and platform allow).
    const verifyWorker = await page.evaluate(() =>
      performance.getEntriesByType('resource').some((e) => e.name.includes('verify-worker')),
    );
    await page.evaluate(() => (globalThis as unknown as BenchGlobal).benchClient.logout());
    return {
      pbkdf2Ms: Math.round(start.pbkdf2Ms),
      loginMs: Math.round(start.loginMs),
      history1000Ms: Math.round(cold?.ms ?? NaN),
      history1000WarmMs: Math.round(warm.ms),
      messages: cold?.ok ?? 0,
      verifyWorker,
    };
  } finally {
    await context.close();
  }
}
