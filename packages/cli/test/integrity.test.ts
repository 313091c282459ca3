/* eslint-disable @typescript-eslint/no-unsafe-return -- the test asserts on parsed JSON lines */
// [M5] A server that misbehaves is told, in words: the real `parley` binary reads through a proxy that breaks
// the signature of every chain head the real server serves.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '@parley/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy } from './proxy.ts';

const BIN = fileURLToPath(new URL('../bin/parley.js', import.meta.url));
const EVENTS = /^\/api\/rooms\/[^/]+\/events/;

/** Flips the first character of every head signature in a history answer. */
function breakHeads(body: string): string {
  const data = JSON.parse(body) as { heads?: { signature: string }[] };
  for (const h of data.heads ?? []) h.signature = (h.signature.startsWith('A') ? 'B' : 'A') + h.signature.slice(1);
  return JSON.stringify(data);
}

describe('parley CLI against a misbehaving server', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let proxy: Server;
  let proxyUrl: string;
  let home: string;
  let dataDir: string;

  function run(args: string[]) {
    const child = spawn(process.execPath, [BIN, '--server', proxyUrl, '--home', home, ...args], {
      env: { ...process.env, PARLEY_PASSWORD: 'correct horse battery staple', PARLEY_SERVER: '', PARLEY_USER: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = { stdout: '', stderr: '' };
    child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
      child.on('close', (code) => resolve({ code, ...out })),
    );
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'parley-cli-int-data-'));
    home = await mkdtemp(join(tmpdir(), 'parley-cli-int-home-'));
    server = await startServer({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' });
    ({ server: proxy, url: proxyUrl } = await startProxy(server.url, {
      rewrite: (method, url, body) => (method === 'GET' && EVENTS.test(url) ? breakHeads(body) : body),
    }));
    const reg = await run(['--user', 'alice', 'register']);
    expect([reg.code, reg.stderr]).toEqual([0, '']);
  });
  afterAll(async () => {
    await new Promise((resolve) => proxy?.close(resolve));
    await server?.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  });

  it('[M5] read says in words that the heads are not signed by the server, and --json adds a warning line', async () => {
    // [R4] Through the proxy no head verifies, so who is in the room cannot be verified: the send is refused
    // in one line. The message is sent to the real server directly (a later --server wins).
    const refused = await run(['--user', 'alice', 'send', 'general', 'hello']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^parley: cannot verify who is in this room: no head signed by the server covers events \d+–\d+\n$/,
    );
    expect((await run(['--user', 'alice', '--server', server.url, 'send', 'general', 'hello'])).code).toBe(0);
    const human = await run(['--user', 'alice', 'read', 'general']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/ alice✓?: hello\n/);
    expect(human.stderr).toContain(
      "parley: warning: general: the server's record of this room does not match what it signed",
    );

    const json = await run(['--user', 'alice', 'read', 'general', '--json']);
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toContainEqual(expect.objectContaining({ sender: 'alice', text: 'hello', status: 'ok' }));
    expect(lines).toContainEqual({
      type: 'warning',
      room: expect.any(String),
      kind: 'bad_head',
      detail: expect.any(String),
    });
    // Message lines keep their shape: no type field.
    expect(lines.filter((l) => 'type' in l).every((l) => l.type === 'warning')).toBe(true);
  });
});
