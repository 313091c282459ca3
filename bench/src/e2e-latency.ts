// `npm run bench:e2e`: end-to-end send → receive latency through the whole stack on one machine — alice's SDK
// encrypts and signs, the server commits (SQLite, durable) and fans out, bob's SDK verifies and decrypts. The
// fan-out benchmark (main.ts) measures the server alone; this is what a person feels.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startServer } from '@parley/server';
import { createClient, MemoryKeyStore, type DecryptedMessage } from '@parley/sdk';
import { nodeWebSocket } from '@parley/sdk/node';
import { quantileSorted, spread } from './stats.ts';

const MESSAGES = Number(process.env.E2E_MESSAGES ?? 50);
const PASSWORD = 'correct horse battery staple';

const dataDir = await mkdtemp(join(tmpdir(), 'parley-e2e-'));
const server = await startServer({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' });
const client = () => createClient({ server: server.url, store: new MemoryKeyStore(), webSocket: nodeWebSocket });
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
  const p95 = quantileSorted(
    [...samples].sort((a, b) => a - b),
    0.95,
  );
  console.log(
    `send → decrypted on the other client, ${MESSAGES} messages, one at a time: ` +
      `median ${s.median.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms (min ${s.min.toFixed(1)}, max ${s.max.toFixed(1)})`,
  );
  await Promise.all([alice.disconnect(), bob.disconnect()]);
} finally {
  await server.close();
  await rm(dataDir, { recursive: true, force: true });
}
