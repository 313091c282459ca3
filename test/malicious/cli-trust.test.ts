/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- the rewritten
   answers are parsed JSON; typing each one would hide what the attack changes. */
// Trust I through the real `parley` binary: a lying server in front of the real one (an HTTP proxy that
// rewrites answers) downgrades the key derivation or swaps the user's own public keys. The CLI refuses with one
// line on stderr, or a JSON error with --json, and exit status 1; an honest login of the same account works.
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '@parley/server';

const BIN = fileURLToPath(new URL('../../packages/cli/bin/parley.js', import.meta.url));
const PASSWORD = 'correct horse battery staple';

let real: Awaited<ReturnType<typeof startServer>>;
let proxy: Server;
let proxyUrl: string;
let home: string;
let dataDir: string;
/** Rewrites the JSON answer of a path (return undefined to keep it). */
let rewrite: ((path: string, body: any) => any) | null = null;
const requested: string[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'parley-cli-evil-'));
  home = await mkdtemp(join(tmpdir(), 'parley-cli-evil-home-'));
  real = await startServer({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' });
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const path = req.url ?? '/';
        requested.push(`${req.method} ${new URL(path, 'http://x').pathname}`);
        const headers = Object.fromEntries(
          Object.entries(req.headers).filter(
            ([k, v]) => typeof v === 'string' && k !== 'host' && k !== 'content-length',
          ),
        ) as Record<string, string>;
        const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
        const answer = await fetch(`${real.url}${path}`, { method: req.method, headers, body });
        let text = await answer.text();
        const edited = rewrite && text ? rewrite(new URL(path, 'http://x').pathname, JSON.parse(text)) : undefined;
        if (edited !== undefined) text = JSON.stringify(edited);
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
        res.end(text);
      })();
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = proxy.address();
  proxyUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  for (const user of ['alice', 'bob']) expect((await run(['--user', user, 'register'])).code).toBe(0);
}, 120_000);

afterAll(async () => {
  await new Promise((resolve) => proxy?.close(resolve));
  await real?.close();
  await rm(dataDir, { recursive: true, force: true });
  await rm(home, { recursive: true, force: true });
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, '--server', proxyUrl, '--home', home, ...args], {
    env: { ...process.env, PARLEY_PASSWORD: PASSWORD, PARLEY_SERVER: '', PARLEY_USER: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, ...out })));
}

/** The public keys the server holds for bob, as alice's CLI fetches them. */
async function bobsKeys(): Promise<{ signing: string; encryption: string }> {
  const seen: { signing?: string; encryption?: string } = {};
  rewrite = (path, body) => {
    if (path === '/api/users/bob/keys')
      Object.assign(seen, { signing: body.signing, encryption: body.encryption });
    return undefined;
  };
  await run(['--user', 'alice', 'fingerprint', 'bob']);
  rewrite = null;
  return seen as { signing: string; encryption: string };
}

describe('[K8] parley login against a downgraded key derivation', () => {
  it('exits 1 with one line naming the cause, without sending any login request; honest login works after', async () => {
    rewrite = (path, body) =>
      path === '/api/prelogin' ? { ...body, kdf: { ...body.kdf, iterations: 1000 } } : undefined;
    requested.length = 0;
    const r = await run(['--user', 'alice', 'login']);
    rewrite = null;
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'parley: login refused: the server offered a key derivation of 1000 iterations, below the minimum of 600000; your password was not used\n',
    );
    expect(requested).toEqual(['POST /api/prelogin']);
    const honest = await run(['--user', 'alice', 'login']);
    expect([honest.code, honest.stderr]).toEqual([0, '']);
  });

  it('--json: {"type":"error","code":"KDF_TOO_WEAK",…} on stderr', async () => {
    rewrite = (path, body) =>
      path === '/api/prelogin' ? { ...body, kdf: { ...body.kdf, iterations: 1000 } } : undefined;
    const r = await run(['--user', 'alice', 'login', '--json']);
    rewrite = null;
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(JSON.parse(r.stderr)).toEqual({
      type: 'error',
      code: 'KDF_TOO_WEAK',
      message:
        'login refused: the server offered a key derivation of 1000 iterations, below the minimum of 600000; your password was not used',
    });
  });
});

describe('[K7] parley login against swapped own public keys', () => {
  it('exits 1 with OWN_KEYS_MISMATCH in one line (and in --json); an honest login works after', async () => {
    const swapped = await bobsKeys();
    rewrite = (path, body) =>
      path === '/api/login'
        ? {
            ...body,
            keys: {
              signing: { ...body.keys.signing, public: swapped.signing },
              encryption: { ...body.keys.encryption, public: swapped.encryption },
            },
          }
        : undefined;
    const r = await run(['--user', 'alice', 'login']);
    const j = await run(['--user', 'alice', 'login', '--json']);
    rewrite = null;
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "parley: login refused: the server's copy of your public keys does not match your private keys\n",
    );
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stderr)).toMatchObject({ type: 'error', code: 'OWN_KEYS_MISMATCH' });
    const honest = await run(['--user', 'alice', 'login']);
    expect([honest.code, honest.stderr]).toEqual([0, '']);
  });
});
