// The SDK alone in Chromium, for the figures the UI would blur: PBKDF2 on its own, and decrypting + verifying
// 1,000 history messages. The SDK is bundled by Vite (as the app bundles it) and loaded into a page of the web
// origin, so it talks to the real API through the web server with cookie auth and keeps keys in IndexedDB.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

export async function measureSdk(
  stack: Stack,
  script: string,
  login: { user: string; password: string; count: number },
): Promise<SdkFigures> {
  const { user, password, count } = login;
  // The bundle goes in as an inline script; the app's CSP forbids that, so this one page bypasses it.
  const context = await stack.browser.newContext({ bypassCSP: true });
  try {
    const page = await context.newPage();
    await page.goto(`${stack.webUrl}/api/health`);
    await page.addScriptTag({ content: script });
    return await page.evaluate(
      async ({ user, password, count }) => {
        const b = (globalThis as unknown as { parleyBench: typeof BenchEntry }).parleyBench;
        const pbkdf2Ms = await b.pbkdf2Ms(password);
        const client = b.createClient({
          server: location.origin,
          store: new b.IdbStore({ name: 'parley-bench' }),
          auth: 'cookie',
        });
        const t1 = performance.now();
        await client.login(user, password);
        const loginMs = performance.now() - t1;
        const cold = await b.readHistoryMs(client, 'general', count);
        const warm = await b.readHistoryMs(client, 'general', count);
        await client.logout();
        return {
          pbkdf2Ms: Math.round(pbkdf2Ms),
          loginMs: Math.round(loginMs),
          history1000Ms: Math.round(cold.ms),
          history1000WarmMs: Math.round(warm.ms),
          messages: cold.ok,
        };
      },
      { user, password, count },
    );
  } finally {
    await context.close();
  }
}
