// [M4] The checking workers in a real Chromium, under a CSP like the app's: every answer equals the protocol's
// rsaVerify on the page's own thread (a forged signature, other bytes, another key are all false), and a worker
// that cannot load leaves verification to the page, with the same answers. [R1] A history page read in the
// worker equals one read on the page's thread: the hashes and links a real server's answer claims, and the
// same refusal for a tampered or malformed one. IdbStore keeps the KeyStore contract (key-store-contract.ts).
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { rsaVerify } from '@parley/protocol';
import type { IdbStore } from '../src/idb-store.ts';
import type { readPage } from '../src/page-read.ts';
import type { Verifier } from '../src/verifier.ts';
import type { keyStoreContract } from './key-store-contract.ts';
import type { plain } from './verifier-entry.ts';
import { MemoryKeyStore } from '../src/index.ts';
import { registered, testServer } from './helpers.ts';

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

type Plain = ReturnType<typeof plain>;

/** Runs in the page: each text read by the Verifier (its worker) and by readPage on the page's thread. */
function readBoth(
  page: Page,
  texts: string[],
): Promise<{ inWorker: boolean; reads: { worker: Plain; here: Plain }[] }> {
  return page.evaluate(async (texts) => {
    const g = globalThis as unknown as {
      Verifier: typeof Verifier;
      readPage: typeof readPage;
      plain: typeof plain;
    };
    const verifier = new g.Verifier();
    const reads = [];
    for (const text of texts) {
      reads.push({ worker: g.plain(await verifier.readPage(text)), here: g.plain(await g.readPage(text)) });
    }
    verifier.stop();
    const inWorker = performance.getEntriesByType('resource').some((e) => e.name.includes('verify-worker'));
    return { inWorker, reads };
  }, texts);
}

/** The text of a history answer from a real server: a room created by alice, then ten of her messages. */
async function historyText(): Promise<string> {
  const api = await testServer();
  try {
    const store = new MemoryKeyStore();
    const alice = await registered(api.url, 'alice', { store });
    const room = await alice.createRoom('pages');
    for (let i = 0; i < 10; i++) await alice.send(room.id, `message ${i}`);
    const token = (await store.get<{ token: string }>(`${alice.user}/session`))!.token;
    const path = `/api/rooms/${room.id}/events?before=${Number.MAX_SAFE_INTEGER}&limit=50`;
    const res = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    await alice.logout();
    return await res.text();
  } finally {
    await api.close();
  }
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

  it('[R1] [M4] a page read in the worker equals one read here: the hashes and links the server sent, the same refusals', async () => {
    const text = await historyText();
    type Answer = { events: { seq: number; hash: string; chain: string; content: { ciphertext?: string } }[] };
    const answer = JSON.parse(text) as Answer;
    const tampered = structuredClone(answer);
    const last = tampered.events.at(-1)!;
    last.content.ciphertext = `${last.content.ciphertext!.slice(0, -2)}AA`;
    const page = await open();
    const { inWorker, reads } = await readBoth(page, [
      text,
      JSON.stringify(tampered),
      JSON.stringify({ ...answer, events: [{ ...answer.events[0], seq: -1 }] }),
      text.slice(0, -1),
    ]);
    expect(inWorker).toBe(true);
    const [honest, changed, broken, notJson] = reads;
    for (const r of reads) expect(r.worker).toEqual(r.here);
    // Computed, not copied: every hash and in-page link is the one the server committed to.
    const read = honest!.worker;
    if (!('hashes' in read)) throw new Error('the honest page was refused');
    expect(read.answer).toEqual(answer);
    expect(read.hashes).toEqual(answer.events.map((e) => e.hash));
    expect(read.links).toEqual(answer.events.map((e, i) => (i === 0 ? null : e.chain)));
    expect(read.signed.filter((s) => s !== null)).toHaveLength(10);
    const altered = changed!.worker;
    if (!('hashes' in altered)) throw new Error('the tampered page was refused');
    expect(altered.hashes.at(-1)).not.toBe(last.hash);
    expect(altered.signed.at(-1)!.data).not.toBe(read.signed.at(-1)!.data);
    expect(broken!.worker).toMatchObject({ ok: false });
    expect(notJson!.worker).toEqual({ ok: false, error: 'not JSON' });
    await page.close();
  }, 60_000);

  it('IdbStore keeps the KeyStore contract, and a setMany with a value it cannot store writes nothing', async () => {
    const page = await open();
    const r = await page.evaluate(async () => {
      const g = globalThis as unknown as { IdbStore: typeof IdbStore; keyStoreContract: typeof keyStoreContract };
      const broken = await g.keyStoreContract(new g.IdbStore({ name: 'contract' }));
      const store = new g.IdbStore({ name: 'atomic' });
      const refused = await store
        .setMany([
          ['first', 1],
          ['second', () => 2],
        ])
        .then(
          () => false,
          () => true,
        );
      return { broken, refused, first: await store.get('first') };
    });
    expect(r).toEqual({ broken: [], refused: true, first: undefined });
    await page.close();
  }, 60_000);
});
