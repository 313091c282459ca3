import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectUrl, createClient, MemoryKeyStore } from '../src/index.ts';
import { FileKeyStore } from '../src/node.ts';

describe('FileKeyStore', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('keeps each value in its own 0600 JSON file and forgets everything on clear', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'parley-store-')), 'alice');
    dirs.push(dir);
    const store = new FileKeyStore(dir);
    expect(store.persistsCryptoKeys).toBe(false);
    await store.set('in:room/x:bob:s1', { chainKey: 'abc', index: 3 });
    expect(await store.get('in:room/x:bob:s1')).toEqual({ chainKey: 'abc', index: 3 });
    const files = await readdir(dir);
    expect(files).toHaveLength(1);
    expect((await stat(join(dir, files[0]!))).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    await store.clear();
    expect(await store.get('in:room/x:bob:s1')).toBeUndefined();
  });
});

describe('client edges', () => {
  it('maps the server URL to its WebSocket endpoint', () => {
    expect(connectUrl('http://localhost:8000/')).toBe('ws://localhost:8000/api/connect');
    expect(connectUrl('https://chat.example.com')).toBe('wss://chat.example.com/api/connect');
  });

  it('a server that does not answer is UNREACHABLE, with a message naming it', async () => {
    const c = createClient({ server: 'http://127.0.0.1:9', store: new MemoryKeyStore() });
    await expect(c.login('alice', 'whatever-password')).rejects.toMatchObject({
      code: 'UNREACHABLE',
      message: 'server unreachable at http://127.0.0.1:9',
    });
  });

  it('refuses a short password before any key is made', async () => {
    const c = createClient({ server: 'http://127.0.0.1:9', store: new MemoryKeyStore() });
    await expect(c.register('alice', 'short')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('one password policy for every client: common passwords, the username, one repeated character', async () => {
    // Nothing is sent: the server at port 9 is never reached (UNREACHABLE would say it was tried).
    const c = createClient({ server: 'http://127.0.0.1:9', store: new MemoryKeyStore() });
    const refused = async (password: string, why: RegExp) =>
      expect(c.register('alice', password)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: why });
    await refused('qwertyuiop', /most common/);
    await refused('Sunshine1', /most common/);
    await refused('alice-in-wonderland', /username/);
    await refused('aaaaaaaaaaaa', /repeat/);
    await refused('x'.repeat(257), /at most 256/);
  });
});
