// `npm run bench:store`: server CPU per message of the SQLite message write path alone (Store.appendBatch:
// membership check, hash chain, INSERT, durable COMMIT, the checkpointer), by batch size, with client message
// ids made as the SDK makes them (time-ordered) or as 16 random bytes. Process CPU (all threads) per message,
// after a warm-up. The signatures are placeholders: the server stores envelopes without verifying them [M5].
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes, randomId, timeOrderedId, toB64u, type Envelope, type MemberEvent } from '@parley/protocol';
import { createStore } from '../../packages/server/src/storage/create-store.ts';
import type { Store } from '../../packages/server/src/storage/store.ts';

const BATCHES = 300;
/** Batches written before the measured ones: the index grows to tens of thousands of entries per sender. */
const WARM_UP = 600;
const ROOMS = 4;
const b64u = (n: number) => toB64u(randomBytes(n));

async function seed(store: Store): Promise<string[]> {
  const keys = { signing: { public: 'x', wrapped: 'x' }, encryption: { public: 'x', wrapped: 'x' } };
  const kdf = { name: 'PBKDF2-SHA256', iterations: 600_000 };
  for (const id of ['alice', 'bob'])
    await store.createUser({ id, salt: 's', kdf, authHash: 'h', keys } as never, Date.now());
  const rooms = Array.from({ length: ROOMS }, randomId);
  for (const room of rooms) {
    const event = (type: 'create' | 'invite', target: string, extra = {}): MemberEvent => ({
      v: 1,
      type,
      room,
      target,
      actor: 'alice',
      eventId: randomId(),
      ts: Date.now(),
      signature: b64u(384),
      ...extra,
    });
    await store.appendBatch(
      [
        {
          kind: 'create',
          create: event('create', 'alice', { name: 'r', public: false }),
          invites: [event('invite', 'bob')],
        },
      ],
      Date.now(),
    );
  }
  return rooms;
}

async function run(batchSize: number, ids: 'time-ordered' | 'random'): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'parley-bench-store-'));
  const store = await createStore({ kind: 'sqlite', path: path.join(dir, 'parley.sqlite') } as never);
  try {
    const rooms = await seed(store);
    let counter = 0;
    const base = {
      v: 1,
      sessionId: b64u(16),
      index: 0,
      memberSeq: 2,
      iv: b64u(12),
      ciphertext: b64u(512),
      commit: b64u(32),
      signature: b64u(384),
    };
    const batch = () =>
      Array.from({ length: batchSize }, (_, i) => ({
        kind: 'message' as const,
        sender: 'alice',
        envelope: {
          ...base,
          room: rooms[i % ROOMS]!,
          clientMsgId: ids === 'random' ? randomId() : timeOrderedId(),
          counter: ++counter,
        } as Envelope,
      }));
    for (let i = 0; i < WARM_UP; i++) await store.appendBatch(batch(), Date.now());
    const batches = Array.from({ length: BATCHES }, batch);
    const cpu0 = process.cpuUsage();
    for (const b of batches) await store.appendBatch(b, Date.now());
    const cpu = process.cpuUsage(cpu0);
    return (cpu.user + cpu.system) / (BATCHES * batchSize);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log('| batch | client message ids | µs of CPU per message |\n| ---: | --- | ---: |');
for (const size of [32, 128])
  for (const ids of ['time-ordered', 'random'] as const)
    console.log(`| ${size} | ${ids} | ${(await run(size, ids)).toFixed(1)} |`);
