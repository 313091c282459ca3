// [M4] The signature worker in a real Chromium, under a CSP like the app's: every answer equals the protocol's
// rsaVerify on the page's own thread (a forged signature, other bytes, another key are all false), and a worker
// that cannot load leaves verification to the page, with the same answers.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { rsaVerify } from '@parley/protocol';
import type { Verifier } from '../src/verifier.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CSP = "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'";

async function bundle(): Promise<Map<string, Buffer>> {
  const { build } = await import('vite');
  const dir = await mkdtemp(join(tmpdir(), 'parley-verifier-'));
  try {
    await build({
      configFile: false,
      logLevel: 'warn',
      base: './',
      build: {
        outDir: dir,
        emptyOutDir: true,
        lib: { entry: join(import.meta.dirname, 'verifier-entry.ts'), formats: ['es'], fileName: 'entry' },
      },
    });
    const files = new Map<string, Buffer>();
    for (const f of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (f.isFile())
        files.set(join(f.parentPath, f.name).slice(dir.length + 1), await readFile(join(f.parentPath, f.name)));
    }
    files.set('index.html', Buffer.from('<!doctype html><script type="module" src="./entry.js"></script>'));
    return files;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

type Check = { good: boolean[]; here: boolean[]; worker: boolean };

/** Runs in the page: 3 keys, 12 items (valid, forged, other bytes, other key), through the Verifier. */
function runChecks(page: Page, o: { workerUrl?: string; stopAtOnce?: boolean } = {}): Promise<Check> {
  return page.evaluate(
    async ({ url, stopAtOnce }) => {
      const subtle = crypto.subtle;
      const alg = {
        name: 'RSA-PSS',
        hash: 'SHA-256',
        modulusLength: 3072,
        publicExponent: new Uint8Array([1, 0, 1]),
      };
      const pairs = await Promise.all([0, 1].map(() => subtle.generateKey(alg, false, ['sign', 'verify'])));
      const items = [];
      for (let i = 0; i < 12; i++) {
        const pair = pairs[i % 2]!;
        const data = new TextEncoder().encode(`message ${i}`);
        const signature = new Uint8Array(
          await subtle.sign({ name: 'RSA-PSS', saltLength: 32 }, pair.privateKey, data),
        );
        const kind = i % 4;
        if (kind === 1) signature[10]! ^= 1;
        items.push({
          key: kind === 3 ? pairs[(i + 1) % 2]!.publicKey : pair.publicKey,
          signature,
          data: kind === 2 ? new TextEncoder().encode(`other ${i}`) : data,
        });
      }
      const V = (globalThis as unknown as { Verifier: typeof Verifier }).Verifier;
      const verifier = url ? new V(() => new Worker(url, { type: 'module' })) : new V();
      const pending = verifier.verifyAll(items);
      if (stopAtOnce) verifier.stop(); // a logout while a batch is in the worker
      const good = await pending;
      const reference = (globalThis as unknown as { rsaVerify: typeof rsaVerify }).rsaVerify;
      const here = await Promise.all(items.map((x) => reference(x.key, x.signature, x.data)));
      const worker = performance.getEntriesByType('resource').some((e) => e.name.includes('verify-worker'));
      verifier.stop();
      return { good, here, worker };
    },
    { url: o.workerUrl, stopAtOnce: o.stopAtOnce ?? false },
  );
}

describe('Verifier in Chromium', () => {
  let server: Server;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    const files = await bundle();
    server = createServer((req, res) => {
      const body = files.get((req.url ?? '/').slice(1).split('?')[0] ?? '');
      if (!body) return void res.writeHead(404).end();
      const type = req.url?.endsWith('.html') ? 'text/html' : 'text/javascript';
      res.writeHead(200, { 'content-type': type, 'content-security-policy': CSP }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    base = `http://localhost:${typeof address === 'object' && address ? address.port : 0}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  async function open(): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(`${base}/index.html`);
    await page.waitForFunction(() => 'Verifier' in globalThis);
    return page;
  }

  it('[M4] the worker answers as rsaVerify does: forged, other bytes and other key are false', async () => {
    const page = await open();
    const r = await runChecks(page);
    expect(r.worker).toBe(true);
    expect(r.good).toEqual(r.here);
    expect(r.good).toEqual(Array.from({ length: 12 }, (_, i) => i % 4 === 0));
    await page.close();
  }, 60_000);

  it('[M4] a batch in the worker when it is stopped (logout) is still answered, with the same answers', async () => {
    const page = await open();
    const r = await runChecks(page, { stopAtOnce: true });
    expect(r.good).toEqual(r.here);
    expect(r.good).toEqual(Array.from({ length: 12 }, (_, i) => i % 4 === 0));
    await page.close();
  }, 60_000);

  it('[M4] a worker that cannot load leaves verification to the page, with the same answers', async () => {
    const page = await open();
    const r = await runChecks(page, { workerUrl: `${base}/missing-verify-worker.js` });
    expect(r.good).toEqual(r.here);
    expect(r.good).toEqual(Array.from({ length: 12 }, (_, i) => i % 4 === 0));
    await page.close();
  }, 60_000);
});
