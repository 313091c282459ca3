// The SDK alone in Chromium, for the figures the UI would blur: PBKDF2 on its own, and decrypting + verifying
// 1,000 history messages. The SDK is bundled by Vite (as the app bundles it) and loaded into a page of the web
// origin, so it talks to the real API through the web server with cookie auth and keeps keys in IndexedDB.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type * as BenchEntry from './bench-entry.ts';
import type { Stack } from './harness.ts';

export interface SdkFigures {
  pbkdf2Ms: number;
  loginMs: number;
  /** First read: pages of 200 back through 1,000 messages, each fetched, verified and decrypted. */
  history1000Ms: number;
  /** The same 1,000 messages read again (keys and heads already known: the warm path). */
  history1000WarmMs: number;
  messages: number;
}

export interface SdkRun {
  user: string;
  password: string;
  count: number;
  /** Records a CDP CPU profile of the first (cold) read; see bench-profile.ts. */
  profileCold?: (page: Page, read: () => Promise<void>) => Promise<void>;
}

export async function bundleSdk(minify = true): Promise<string> {
  const { build } = await import('vite');
  const dir = await mkdtemp(join(tmpdir(), 'parley-bench-sdk-'));
  try {
    await build({
      configFile: false,
      logLevel: 'warn',
      mode: 'production',
      build: {
        outDir: dir,
        emptyOutDir: true,
        minify,
        lib: { entry: join(import.meta.dirname, 'bench-entry.ts'), formats: ['iife'], name: 'parleyBench' },
      },
    });
    const file = (await readdir(dir)).find((f) => f.endsWith('.js'));
    if (!file) throw new Error('the SDK bench bundle was not built');
    return await readFile(join(dir, file), 'utf8');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

type BenchGlobal = { parleyBench: typeof BenchEntry; benchClient: BenchEntry.ParleyClient };

export async function measureSdk(stack: Stack, script: string, run: SdkRun): Promise<SdkFigures> {
  const { user, password, count } = run;
  // The bundle goes in as an inline script; the app's CSP forbids that, so this one page bypasses it.
  const context = await stack.browser.newContext({ bypassCSP: true });
  try {
    const page = await context.newPage();
    await page.goto(`${stack.webUrl}/api/health`);
    await page.addScriptTag({ content: script });
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
    await page.evaluate(() => (globalThis as unknown as BenchGlobal).benchClient.logout());
    return {
      pbkdf2Ms: Math.round(start.pbkdf2Ms),
      loginMs: Math.round(start.loginMs),
      history1000Ms: Math.round(cold?.ms ?? NaN),
      history1000WarmMs: Math.round(warm.ms),
      messages: cold?.ok ?? 0,
    };
  } finally {
    await context.close();
  }
}
