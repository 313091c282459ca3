/* eslint-disable @typescript-eslint/no-unsafe-return -- the tests assert on parsed JSON lines */
// The real `parley` binary as a child process against a real server: the command line is the contract. Over
// 300 lines on purpose: every test shares one server and one --home, as one user's shell would.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, MemoryKeyStore } from '@parley/sdk';
import { nodeWebSocket } from '@parley/sdk/node';
import { startServer } from '@parley/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy } from './proxy.ts';

const BIN = fileURLToPath(new URL('../bin/parley.js', import.meta.url));
const PASSWORD = 'correct horse battery staple';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('parley CLI', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let home: string;
  let dataDir: string;

  function start(args: string[], env: Record<string, string> = {}) {
    const child = spawn(process.execPath, [BIN, '--server', server.url, '--home', home, ...args], {
      env: { ...process.env, PARLEY_PASSWORD: PASSWORD, PARLEY_SERVER: '', PARLEY_USER: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = { stdout: '', stderr: '' };
    child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
    const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, ...out })));
    return { child, out, done };
  }
  const run = (args: string[], env?: Record<string, string>) => start(args, env).done;

  function expectFailure(r: Run, cause: RegExp) {
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(cause);
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'parley-cli-data-'));
    home = await mkdtemp(join(tmpdir(), 'parley-cli-home-'));
    server = await startServer({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' });
    const [a, b] = await Promise.all([run(['--user', 'alice', 'register']), run(['--user', 'bob', 'register'])]);
    expect([a.code, b.code, a.stderr, b.stderr]).toEqual([0, 0, '', '']);
  });
  afterAll(async () => {
    await server?.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  });

  it('--help prints the usage and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('parley [--server URL] [--user NAME] [--home DIR] COMMAND');
  });

  it('[R3] register joined general; whoami uses the stored session', async () => {
    const rooms = await run(['--user', 'alice', 'rooms', '--json']);
    expect(rooms.code).toBe(0);
    expect(
      rooms.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).name),
    ).toContain('general');
    const who = await run(['--user', 'bob', 'whoami'], { PARLEY_PASSWORD: '' });
    expect(who.code).toBe(0);
    expect(who.stdout.split('\n')[0]).toBe('bob');
  });

  it('[M1] a private room: create, send (prints the seq), read decrypted with the --json shape', async () => {
    const created = await run(['--user', 'alice', 'create-room', 'plans', '--member', 'bob']);
    expect(created.code).toBe(0);
    const id = created.stdout.trim();
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const sent = await run(['--user', 'alice', 'send', 'plans', 'meet', 'at', 'noon']);
    expect(sent.code).toBe(0);
    const seq = Number(sent.stdout.trim());
    expect(Number.isInteger(seq) && seq > 0).toBe(true);
    const read = await run(['--user', 'bob', 'read', id, '--json']);
    expect(read.code).toBe(0);
    const lines = read.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      expect.objectContaining({ room: id, seq, sender: 'alice', text: 'meet at noon', status: 'ok' }),
    ]);
    expect(new Date(lines[0].ts).toISOString()).toBe(lines[0].ts);
    const human = await run(['--user', 'bob', 'read', 'plans']);
    expect(human.stdout).toContain('alice: meet at noon');
  });

  it('[R2] kick and promote: an admin makes bob an admin, then removes him; his read is refused', async () => {
    const id = (await run(['--user', 'alice', 'create-room', 'crew', '--member', 'bob'])).stdout.trim();
    const promoted = await run(['--user', 'alice', 'promote', 'crew', 'bob']);
    expect([promoted.code, promoted.stdout, promoted.stderr]).toEqual([0, 'made bob an admin of crew\n', '']);
    const kicked = await run(['--user', 'alice', 'kick', 'crew', 'bob', '--json']);
    expect(kicked.code).toBe(0);
    expect(JSON.parse(kicked.stdout)).toEqual({ room: id, user: 'bob' });
    expectFailure(await run(['--user', 'bob', 'read', id]), /unknown room/);
    expectFailure(await run(['--user', 'alice', 'kick', 'crew', 'bob']), /^parley: /);
  });

  it('listen --count N prints live messages and exits after N', async () => {
    const listener = start(['--user', 'bob', 'listen', 'general', '--count', '2', '--json']);
    await until(() => listener.out.stderr.includes('listening'));
    expect((await run(['--user', 'alice', 'send', 'general', 'one'])).code).toBe(0);
    expect((await run(['--user', 'alice', 'send', 'general', 'two'])).code).toBe(0);
    const r = await listener.done;
    expect(r.code).toBe(0);
    const got = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(got.map((m) => [m.sender, m.text, m.status])).toEqual([
      ['alice', 'one', 'ok'],
      ['alice', 'two', 'ok'],
    ]);
  });

  it('fingerprint and verify show the safety number', async () => {
    const fp = await run(['--user', 'bob', 'fingerprint', 'alice', '--json']);
    expect(fp.code).toBe(0);
    expect(JSON.parse(fp.stdout)).toMatchObject({ user: 'alice', verified: false, keyChanged: false });
    const number = JSON.parse(fp.stdout).safetyNumber as string;
    // [K6] --safety-number pins only when the current keys give that number.
    const wrong = await run(['--user', 'bob', 'verify', 'alice', '--safety-number', '12345'.repeat(12)]);
    expectFailure(wrong, /^parley: the safety number does not match alice's keys: nothing was marked verified$/);
    const still = await run(['--user', 'bob', 'fingerprint', 'alice', '--json']);
    expect(JSON.parse(still.stdout)).toMatchObject({ verified: false });
    const v = await run(['--user', 'bob', 'verify', 'alice', '--safety-number', number.replace(/ /g, '')]);
    expect(v.code).toBe(0);
    // It prints the number it pinned.
    expect(v.stdout.trim()).toBe(`alice's keys are now marked verified (safety number ${number})`);
    const plain = await run(['--user', 'alice', 'verify', 'bob', '--json']);
    expect(JSON.parse(plain.stdout)).toMatchObject({ user: 'bob', verified: true, safetyNumber: number });
  });

  it(
    'a reader at the end of a slow pipe gets every line, and the exit status after them',
    { timeout: 120_000 },
    async () => {
      const sender = createClient({ server: server.url, store: new MemoryKeyStore(), webSocket: nodeWebSocket });
      await sender.register('piper', PASSWORD);
      const room = await sender.createRoom('pipe', { members: ['alice'] });
      // 150 lines of ~4 KB: 600 KB. A child's stdout is a socket pair whose kernel side holds ~210 KB (net.core
      // .wmem_default), and the parent buffers 16-64 KiB of a paused stream: the process must wait for its reader.
      const count = 150;
      await sender.connect();
      for (let i = 0; i < count; i++) await sender.send(room.id, `line ${i} ${'x'.repeat(4000)}`);
      await sender.logout();
      const child = spawn(
        process.execPath,
        [
          BIN,
          '--server',
          server.url,
          '--home',
          home,
          '--user',
          'alice',
          'read',
          room.id,
          '--limit',
          String(count),
        ],
        {
          env: { ...process.env, PARLEY_PASSWORD: PASSWORD, PARLEY_SERVER: '', PARLEY_USER: '' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      // Listened to from the start, then paused: had the child exited meanwhile, Node would resume the stream
      // and drop what no listener took (child_process flushStdio), which is not what this test is about.
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.stdout.pause();
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const closed = new Promise((resolve) => child.stdout.once('close', resolve));
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      // The reader does not read for a while.
      await new Promise((r) => setTimeout(r, 3000));
      const exitedUnread = child.exitCode !== null;
      child.stdout.resume();
      const code = await exited;
      await closed;
      expect(code, stderr).toBe(0);
      const lines = text.trim().split('\n');
      expect(lines, `stderr: ${stderr}`).toHaveLength(count);
      expect(lines.at(-1)).toContain(`piper: line ${count - 1} `);
      // It had to wait for the reader: it was still running when the reader began to read.
      expect(exitedUnread).toBe(false);
    },
  );

  it('text other people chose is printed with its control characters escaped; hostile room names are refused', async () => {
    const sender = createClient({ server: server.url, store: new MemoryKeyStore(), webSocket: nodeWebSocket });
    await sender.register('hostile', PASSWORD);
    const room = await sender.createRoom('ansi', { members: ['alice'] });
    await sender.send(room.id, 'hi\u001b[2J\u001b[8mhidden\ninjected line\u202eevil');
    await sender.send(room.id, 'after');
    const read = await run(['--user', 'alice', 'read', room.id]);
    expect(read.code).toBe(0);
    expect(read.stdout).not.toMatch(/[\u001b\u202e]/);
    const lines = read.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('hostile: hi\\u001b[2J\\u001b[8mhidden\\u000ainjected line\\u202eevil');
    expect(lines[1]).toContain('hostile: after');
    // --json keeps the text exactly, as data.
    const json = await run(['--user', 'alice', 'read', room.id, '--json']);
    expect(JSON.parse(json.stdout.split('\n')[0]!).text).toBe(
      'hi\u001b[2J\u001b[8mhidden\ninjected line\u202eevil',
    );
    for (const name of ['ops\u001b[8m', 'gnp\u202egeneral']) {
      const r = await run(['--user', 'alice', 'create-room', name]);
      expectFailure(r, /^parley: room name must not contain control or bidirectional-override characters$/);
    }
    await sender.logout();
  });

  it('exit 1 with one line on stderr: wrong password', async () => {
    const r = await run(['--user', 'alice', 'login'], { PARLEY_PASSWORD: 'not the password' });
    expectFailure(r, /wrong password/);
  });

  it('exit 1 with one line on stderr: unknown room, not a member', async () => {
    expectFailure(await run(['--user', 'alice', 'send', 'nowhere', 'hi']), /unknown room/);
    const id = (await run(['--user', 'alice', 'create-room', 'solo'])).stdout.trim();
    expectFailure(await run(['--user', 'bob', 'read', id]), /unknown room/);
  });

  it('exit 1 with one line on stderr: server unreachable', async () => {
    const r = await run(['--user', 'carol', '--server', 'http://127.0.0.1:9', 'login']);
    expectFailure(r, /server unreachable/);
  });

  it('[M2] listen shows "waiting for the key from alice", then the message once alice runs a command', async () => {
    // alice sends through a proxy that drops her key shares (the server "lost" them); bob listens directly.
    const proxy = await startProxy(server.url, {
      answer: (method, url) => (method === 'POST' && url.endsWith('/shares') ? 204 : undefined),
    });
    try {
      const id = (await run(['--user', 'alice', 'create-room', 'slow-keys', '--member', 'bob'])).stdout.trim();
      const listener = start(['--user', 'bob', 'listen', 'slow-keys']);
      await until(() => listener.out.stderr.includes('listening'));
      const sent = await run(['--user', 'alice', '--server', proxy.url, 'send', id, 'here at last']);
      expect(sent.code).toBe(0);
      await until(() => listener.out.stdout.includes('[waiting for the key from alice]'));
      // alice is next online: any command of hers answers the request bob's listen left on the server.
      expect((await run(['--user', 'alice', 'rooms'])).code).toBe(0);
      // (✓ when an earlier test had bob verify alice)
      await until(() => / alice✓?: here at last\n/.test(listener.out.stdout));
      listener.child.kill('SIGINT');
      const r = await listener.done;
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/ alice✓?: \[waiting for the key from alice\]$/);
      expect(lines[1]).toMatch(/ alice✓?: here at last$/);
    } finally {
      await new Promise((resolve) => proxy.server.close(resolve));
    }
  });

  it('[M6] read says when the key can no longer come: its sender left the room before sending it', async () => {
    const proxy = await startProxy(server.url, {
      answer: (method, url) => (method === 'POST' && url.endsWith('/shares') ? 204 : undefined),
    });
    try {
      const id = (await run(['--user', 'alice', 'create-room', 'farewell', '--member', 'bob'])).stdout.trim();
      expect((await run(['--user', 'alice', '--server', proxy.url, 'send', id, 'gone with alice'])).code).toBe(0);
      expect((await run(['--user', 'bob', 'read', id])).stdout).toMatch(
        / alice✓?: \[waiting for the key from alice\]\n/,
      );
      expect((await run(['--user', 'alice', 'leave', id])).code).toBe(0);
      const r = await run(['--user', 'bob', 'read', id, '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toMatchObject({
        sender: 'alice',
        status: 'sender_left',
      });
      expect((await run(['--user', 'bob', 'read', id])).stdout).toMatch(
        / alice✓?: \[no key: alice left the room before sending it\]\n/,
      );
    } finally {
      await new Promise((resolve) => proxy.server.close(resolve));
    }
  });

  it('[R5] create-room --history: earlier messages read in a shared room, "sent before you joined" in a joined one', async () => {
    expect((await run(['--user', 'carol', 'register'])).code).toBe(0);
    const cases: [string, RegExp][] = [
      ['shared', / alice✓?: said before carol$/],
      ['joined', / alice✓?: \[sent before you joined\]$/],
    ];
    for (const [history, shown] of cases) {
      const args = ['create-room', `book-${history}`, '--member', 'bob', '--history', history, '--json'];
      const created = await run(['--user', 'alice', ...args]);
      expect(created.code).toBe(0);
      const { id, history: stated } = JSON.parse(created.stdout);
      expect(stated).toBe(history);
      expect((await run(['--user', 'alice', 'send', id, 'said', 'before', 'carol'])).code).toBe(0);
      expect((await run(['--user', 'alice', 'invite', id, 'carol'])).code).toBe(0);
      const read = await run(['--user', 'carol', 'read', id]);
      expect([read.code, read.stdout.trim()]).toEqual([0, expect.stringMatching(shown)]);
    }
    expectFailure(
      await run(['--user', 'alice', 'create-room', 'x', '--history', 'everyone']),
      /--history must be/,
    );
  });

  it('[K9] after logout, and in a fresh --home, earlier messages read ok and verification follows the account', async () => {
    const verified = await run(['--user', 'bob', 'verify', 'alice', '--json']);
    expect(verified.code).toBe(0);
    expect((await run(['--user', 'bob', 'logout'])).code).toBe(0);
    expectFailure(await run(['--user', 'bob', 'whoami'], { PARLEY_PASSWORD: '' }), /password/);
    const lines = (r: Run) =>
      r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
    // The next command signs in again (the password from the environment): the vault restores the keys.
    const again = await run(['--user', 'bob', 'read', 'plans', '--json']);
    expect(again.code).toBe(0);
    expect(lines(again)[0]).toMatchObject({ sender: 'alice', status: 'ok', text: 'meet at noon' });
    // A second device: another --home, the same account.
    const other = await mkdtemp(join(tmpdir(), 'parley-cli-home2-'));
    try {
      const onIt = (args: string[]) => run(['--home', other, '--user', 'bob', ...args]);
      expect((await onIt(['login'])).code).toBe(0);
      const read = await onIt(['read', 'plans', '--json']);
      expect(lines(read)[0]).toMatchObject({ sender: 'alice', status: 'ok', text: 'meet at noon' });
      const fp = await onIt(['fingerprint', 'alice', '--json']);
      expect(lines(fp)[0]).toMatchObject({ user: 'alice', verified: true });
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});

async function until(check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
