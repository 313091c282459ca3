// [M7] [K2] The server never holds a message's text or a password: after a real conversation through the SDK
// (live over the WebSocket and over POST /api/chat), neither appears in any file of the data directory (the
// SQLite database, its WAL, the server key) nor anywhere in the server's own output at its most verbose level.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, MemoryKeyStore, type ParleyClient } from '@parley/sdk';
import { nodeWebSocket } from '@parley/sdk/node';

const root = path.resolve(import.meta.dirname, '..');
const PASSWORDS = { alice: 'Zanzibar-first-passphrase-7731', bob: 'Quixotic-second-passphrase-4410' };
const SECRETS = ['the vault code is OCTOPUS-5521', 'meet at the HARBOUR-LIGHTHOUSE at nine'];

let dataDir: string;
let output = '';
let stop: () => Promise<void>;
let url: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'parley-m7-'));
  const proc = spawn(process.execPath, ['--import', 'tsx', 'packages/server/src/main.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'trace' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  stop = async () => {
    if (proc.exitCode === null) proc.kill('SIGTERM');
    await exited;
  };
  proc.stderr.on('data', (d: Buffer) => (output += String(d)));
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${output}`)), 30_000);
    proc.stdout.on('data', (d: Buffer) => {
      output += String(d);
      const m = /listening on (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });
});

afterAll(async () => {
  await stop?.();
  await rm(dataDir, { recursive: true, force: true });
});

const client = (): ParleyClient =>
  createClient({ server: url, store: new MemoryKeyStore(), webSocket: nodeWebSocket });

describe('[M7] what the server keeps', () => {
  it('neither the data directory nor the logs hold a message text or a password', async () => {
    const [alice, bob] = [client(), client()];
    await alice.register('alice', PASSWORDS.alice);
    await bob.register('bob', PASSWORDS.bob);
    await bob.login('bob', PASSWORDS.bob); // a second login: prelogin and login go through the server too
    const room = await alice.createRoom('secrets', { members: ['bob'] });
    await alice.send(room.id, SECRETS[0]!); // not connected: POST /api/chat
    await alice.connect();
    await alice.send(room.id, SECRETS[1]!); // connected: the WebSocket
    const read = await bob.history(room.id);
    expect(read.map((m) => [m.text, m.status])).toEqual(SECRETS.map((text) => [text, 'ok']));
    await alice.disconnect();
    await stop(); // SIGTERM: the server flushes and closes its files; the WAL stays on disk to be read

    const files = await readdir(dataDir);
    expect(files).toContain('parley.db');
    const stored = (await Promise.all(files.map((f) => readFile(path.join(dataDir, f))))).map((b) =>
      b.toString('latin1'),
    );
    expect(output).toContain('"msg":"request completed"'); // the logs were really captured, at trace level
    for (const needle of [...SECRETS, ...Object.values(PASSWORDS)]) {
      for (const [i, content] of stored.entries())
        expect(content, `${files[i]} holds "${needle}"`).not.toContain(needle);
      expect(output, `the server's output holds "${needle}"`).not.toContain(needle);
    }
  });
});
