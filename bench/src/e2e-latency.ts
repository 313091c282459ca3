// `npm run bench:e2e`: end-to-end send → receive latency through the whole stack on one machine — alice's SDK
// encrypts and signs, the server commits (SQLite, durable) and fans out, bob's SDK verifies and decrypts. The
// fan-out benchmark (main.ts) measures the server alone; this is what a person feels. E2E_LINK_MS=25 puts a
// proxy between the clients and the server that delays every chunk 25 ms each way (a 50 ms round trip), so
// what a send costs in round trips shows.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startServer } from '@parley/server';
import { createClient, MemoryKeyStore, type DecryptedMessage } from '@parley/sdk';
import { nodeWebSocket } from '@parley/sdk/node';
import { percentiles, spread } from './stats.ts';

const MESSAGES = Number(process.env.E2E_MESSAGES ?? 200);
const LINK_MS = Number(process.env.E2E_LINK_MS ?? 0);

/** A TCP proxy to `port` that holds every chunk `delayMs` in each direction, in order. */
async function slowLink(port: number, delayMs: number): Promise<{ url: string; close(): void }> {
  const later = (to: Socket) => (chunk: Buffer) => setTimeout(() => to.write(chunk), delayMs);
  const sockets = new Set<Socket>();
  const proxy = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', later(upstream));
    upstream.on('data', later(client));
    client.on('end', () => setTimeout(() => upstream.end(), delayMs));
    upstream.on('end', () => setTimeout(() => client.end(), delayMs));
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const { port: proxyPort } = proxy.address() as { port: number };
  return {
    url: `http://127.0.0.1:${proxyPort}`,
    close: () => {
      for (const s of sockets) s.destroy();
      proxy.close();
    },
  };
}
const PASSWORD = 'correct horse battery staple';

const dataDir = await mkdtemp(join(tmpdir(), 'parley-e2e-'));
const server = await startServer({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' });
const link = LINK_MS > 0 ? await slowLink(Number(new URL(server.url).port), LINK_MS) : null;
const client = () =>
  createClient({ server: link?.url ?? server.url, store: new MemoryKeyStore(), webSocket: nodeWebSocket });
try {
  const [alice, bob] = [client(), client()];
  await alice.register('alice', PASSWORD);
  await bob.register('bob', PASSWORD);
  const room = await alice.createRoom('latency', { members: ['bob'] });
  await Promise.all([alice.connect(), bob.connect()]);
  const arrived = new Map<string, number>();
  let wake: (() => void) | null = null;
  bob.on('message', (m: DecryptedMessage) => {
    if (m.room !== room.id || m.status !== 'ok' || !m.text) return;
    arrived.set(m.text, performance.now());
    wake?.();
  });
  await alice.send(room.id, 'warm-up'); // the first send shares the session key with bob
  const samples: number[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const text = `message ${i}`;
    const sent = performance.now();
    await alice.send(room.id, text);
    while (!arrived.has(text)) await new Promise<void>((r) => (wake = r));
    samples.push(arrived.get(text)! - sent);
  }
  const s = spread(samples);
  const { p50Ms, p99Ms } = percentiles(samples);
  console.log(
    `send → decrypted on the other client, ${MESSAGES} messages, one at a time, link ${LINK_MS} ms each way: ` +
      `p50 ${p50Ms.toFixed(1)} ms, p99 ${p99Ms.toFixed(1)} ms (min ${s.min.toFixed(1)}, max ${s.max.toFixed(1)})`,
  );
  await Promise.all([alice.disconnect(), bob.disconnect()]);
} finally {
  link?.close();
  await server.close();
  await rm(dataDir, { recursive: true, force: true });
}
