// `npm run bench:rotation`: what a rotation costs the sender in a room of 100 and of 1,000 members [M3]. A member
// leaves; the sender's next message starts a new session, sealed (RSA-OAEP) and signed (RSA-PSS) for every member
// left, in POSTs of 150 shares. Measured: the time from the leave to that message being acknowledged, and the
// bytes the sender uploads for it, in Node through the SDK and through the CLI (`parley send`, a process of its
// own), and in Chromium through the web client. ROTATION_SIZES=100,1000 to change the sizes; --json for a line.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateUserKeyPairs, type UserKeyPairs } from '@parley/protocol';
import { createClient, MemoryKeyStore } from '@parley/sdk';
import { nodeWebSocket } from '@parley/sdk/node';
import { startServer } from '@parley/server';
import { loadConfig } from '../../packages/server/src/config.ts';
import { createStore } from '../../packages/server/src/storage/create-store.ts';
import { startProxy } from '../../packages/cli/test/proxy.ts';
import { addAccounts, inviteAll } from './crowd.ts';

const PASSWORD = 'correct horse battery staple';
const BIN = fileURLToPath(new URL('../../packages/cli/bin/parley.js', import.meta.url));
const SIZES = (process.env.ROTATION_SIZES ?? '100,1000').split(',').map(Number);

interface Figure {
  members: number;
  where: 'node-sdk' | 'node-cli' | 'chromium';
  /** From the leave (acknowledged) to the next message acknowledged. */
  ms: number;
  /** Request bodies and WebSocket frames the sender sent for that message. */
  bytes: number;
  requests: number;
}

/** Accounts written into the store of a server not running yet (see crowd.ts for why). */
async function seedCrowd(dataDir: string, count: number, pairs: UserKeyPairs[]): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => `m${String(i).padStart(4, '0')}`);
  const store = await createStore(loadConfig({ dataDir }).database);
  try {
    await addAccounts(store, names, pairs);
  } finally {
    await store.close();
  }
  return names;
}

/** Counts what a client uploads: request bodies, by POST/PUT. */
function countingFetch() {
  const tally = { bytes: 0, requests: 0 };
  const f: typeof fetch = (input, init) => {
    if (typeof init?.body === 'string') {
      tally.bytes += Buffer.byteLength(init.body);
      tally.requests += 1;
    }
    return fetch(input, init);
  };
  return { fetch: f, tally };
}

function cli(url: string, home: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--server', url, '--home', home, '--user', 'alice', ...args], {
      env: { ...process.env, PARLEY_PASSWORD: PASSWORD, PARLEY_SERVER: '', PARLEY_USER: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(0) : reject(new Error(`parley ${args[0]}: ${err}`))));
  });
}

/** Node: one room of `members`, rotated twice, once by the SDK in this process and once by `parley send`. */
async function inNode(members: number, pairs: UserKeyPairs[]): Promise<Figure[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'parley-rotation-'));
  const home = await mkdtemp(join(tmpdir(), 'parley-rotation-home-'));
  const crowd = await seedCrowd(dataDir, members - 3, pairs);
  const server = await startServer({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' });
  const device = (extra = {}) =>
    createClient({ server: server.url, store: new MemoryKeyStore(), webSocket: nodeWebSocket, ...extra });
  const counting = countingFetch();
  const alice = device({ fetch: counting.fetch });
  const [leaver1, leaver2] = [device(), device()];
  try {
    await alice.register('alice', PASSWORD);
    await leaver1.register('leaver1', PASSWORD);
    await leaver2.register('leaver2', PASSWORD);
    const room = (await alice.createRoom('town', { members: ['leaver1', 'leaver2'] })).id;
    await inviteAll(alice, room, crowd);
    await alice.send(room, 'everyone gets the first session');

    await leaver1.leave(room);
    Object.assign(counting.tally, { bytes: 0, requests: 0 });
    let t0 = performance.now();
    await alice.send(room, 'the first message after a leave');
    const sdk: Figure = { members, where: 'node-sdk', ms: performance.now() - t0, ...counting.tally };

    // The CLI is a device of its own: its first send shares a session of its own with everyone; then a leave.
    // It talks to the server through a proxy that counts what it uploads.
    const upload = { bytes: 0, requests: 0 };
    let cliMs = 0;
    const proxy = await startProxy(server.url, {
      answer: (_method, _url, body) => {
        if (body.length > 0)
          Object.assign(upload, { bytes: upload.bytes + body.length, requests: upload.requests + 1 });
        return undefined;
      },
    });
    try {
      await cli(proxy.url, home, ['login']);
      await cli(proxy.url, home, ['send', room, 'from the command line']);
      await leaver2.leave(room);
      Object.assign(upload, { bytes: 0, requests: 0 });
      t0 = performance.now();
      await cli(proxy.url, home, ['send', room, 'the first message after a leave, from the command line']);
      cliMs = performance.now() - t0;
    } finally {
      await new Promise((resolve) => proxy.server.close(resolve));
    }
    const cliFigure: Figure = { members, where: 'node-cli', ms: cliMs, ...upload };
    return [sdk, cliFigure];
  } finally {
    await Promise.all([alice.disconnect(), leaver1.disconnect(), leaver2.disconnect()]);
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  }
}

/** Chromium: alice sends from the web client; the room's owner (Node) made the room and sees the message. */
async function inChromium(members: number, pairs: UserKeyPairs[]): Promise<Figure> {
  const { openPerson, openRoom, send, signUp, startStack } = await import('../../packages/web/test/harness.ts');
  const stack = await startStack();
  try {
    await stack.stopApi();
    const crowd = await seedCrowd(stack.dataDir, members - 3, pairs);
    await stack.startApi();
    const device = () =>
      createClient({ server: stack.apiUrl, store: new MemoryKeyStore(), webSocket: nodeWebSocket });
    const [owner, leaver] = [device(), device()];
    await owner.register('owner', PASSWORD);
    await leaver.register('leaver', PASSWORD);
    const alice = await openPerson(stack);
    await signUp(alice.page, 'alice', PASSWORD);
    const room = (await owner.createRoom('town', { members: ['alice', 'leaver'] })).id;
    await inviteAll(owner, room, crowd);
    await owner.connect();
    const seen = (text: string) =>
      new Promise<number>((resolve) => {
        const off = owner.on('message', (m) => {
          if (m.room !== room || m.text !== text) return;
          off();
          resolve(performance.now());
        });
      });
    await openRoom(alice.page, 'town');
    let arrived = seen('everyone gets the first session');
    await send(alice.page, 'everyone gets the first session');
    await arrived;

    const tally = { bytes: 0, requests: 0 };
    alice.page.on('request', (r) => {
      const body = r.postDataBuffer();
      if (body) Object.assign(tally, { bytes: tally.bytes + body.length, requests: tally.requests + 1 });
    });
    alice.page.on('websocket', (ws) =>
      ws.on(
        'framesent',
        (f) => (tally.bytes += typeof f.payload === 'string' ? Buffer.byteLength(f.payload) : f.payload.length),
      ),
    );
    await leaver.leave(room);
    // alice's browser learns of the leave live: the notice is on screen before she writes.
    await alice.page.getByText('leaver left').waitFor();
    Object.assign(tally, { bytes: 0, requests: 0 });
    const t0 = performance.now();
    arrived = seen('the first message after a leave');
    await send(alice.page, 'the first message after a leave');
    const t1 = await arrived;
    await Promise.all([owner.disconnect(), leaver.disconnect(), alice.context.close()]);
    return { members, where: 'chromium', ms: t1 - t0, ...tally };
  } finally {
    await stack.close();
  }
}

const pairs = await Promise.all([generateUserKeyPairs(), generateUserKeyPairs(), generateUserKeyPairs()]);
const figures: Figure[] = [];
for (const members of SIZES) {
  figures.push(...(await inNode(members, pairs)));
  if (!process.argv.includes('--no-browser')) figures.push(await inChromium(members, pairs));
}
for (const f of figures)
  console.log(
    `${String(f.members).padStart(5)} members  ${f.where.padEnd(9)} ${Math.round(f.ms).toString().padStart(6)} ms  ` +
      `${(f.bytes / 1024).toFixed(0).padStart(6)} KiB in ${f.requests} requests`,
  );
if (process.argv.includes('--json')) console.log(JSON.stringify(figures));
