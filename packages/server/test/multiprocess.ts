// [D6] Two real server processes on one PostgreSQL and one Redis, started as `npm start` starts them. Alice
// is on process A, Bob reaches process B through a load balancer; they chat with real end-to-end crypto
// (the SDK). B is killed with SIGKILL; the balancer sends Bob to A; his client resumes with nothing lost
// and nothing duplicated. backends.test.ts runs it when TEST_DATABASE_URL and TEST_REDIS_URL are set.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, MemoryKeyStore, type DecryptedMessage, type ParleyClient } from '@parley/sdk';
import { nodeWebSocket } from '@parley/sdk/node';
import { clearPrefix, dropSchema, runId } from './contract/backends.ts';
import { balancer, startProcess, type Balancer, type ServerProcess } from './support/processes.ts';

const PASSWORD = 'correct horse battery staple';

function client(url: string): ParleyClient {
  return createClient({
    server: url,
    store: new MemoryKeyStore(),
    webSocket: nodeWebSocket,
    reconnectMinMs: 50,
    reconnectMaxMs: 200,
  });
}

function waitFor<T>(c: ParleyClient, event: 'message' | 'presence', match: (v: T) => boolean, ms = 15_000) {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => (off(), reject(new Error(`timed out waiting for ${event}`))), ms);
    const off = c.on(event, (v) => {
      if (!match(v as T)) return;
      clearTimeout(timer);
      off();
      resolve(v as T);
    });
  });
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

export function multiProcessSuite(databaseUrl: string, redisUrl: string): void {
  describe('[D6] several server processes on PostgreSQL + Redis', () => {
    const schema = runId('mp');
    const prefix = `${runId('mp')}:`;
    const env = {
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: schema,
      REDIS_URL: redisUrl,
      REDIS_PREFIX: prefix,
      PRESENCE_HEARTBEAT_MS: '500',
    };
    let a: ServerProcess;
    let b: ServerProcess;
    let lb: Balancer;
    let alice: ParleyClient;
    let bob: ParleyClient;
    let general: string;
    const bobGot: DecryptedMessage[] = [];

    beforeAll(async () => {
      // Both start at once on an empty database: migrations, the server key and "general" race [S1].
      [a, b] = await Promise.all([startProcess(env), startProcess(env)]);
      lb = await balancer(b.url);
      alice = client(a.url);
      bob = client(lb.url);
      await alice.register('alice', PASSWORD);
      await bob.register('bob', PASSWORD);
      general = (await alice.resolveRoom('general')).id;
      bob.on('message', (m) => bobGot.push(m));
      await alice.connect();
    }, 120_000);

    afterAll(async () => {
      await Promise.allSettled([alice?.disconnect(), bob?.disconnect()]);
      await Promise.allSettled([a?.stop(), b?.stop(), lb?.close()]);
      await dropSchema(databaseUrl, schema);
      await clearPrefix(redisUrl, prefix);
    });

    it('[S1] every process serves the same server key', async () => {
      const keys = await Promise.all(
        [a.url, b.url].map(
          async (u) =>
            ((await (await fetch(`${u}/api/`)).json()) as { serverKey: { fingerprint: string } }).serverKey
              .fingerprint,
        ),
      );
      expect(keys[0]).toBe(keys[1]);
    });

    it('presence is shared: Alice on A sees Bob come online on B', async () => {
      const online = waitFor<{ user: string; online: boolean }>(
        alice,
        'presence',
        (p) => p.user === 'bob' && p.online,
      );
      await bob.connect();
      await online;
    });

    it('a message sent through one process arrives live at a client of the other; history is identical', async () => {
      const latencies: number[] = [];
      for (let i = 0; i < 30; i++) {
        const arrived = waitFor<DecryptedMessage>(bob, 'message', (m) => m.text === `a${i}`);
        const t0 = performance.now();
        await alice.send(general, `a${i}`);
        await arrived;
        latencies.push(performance.now() - t0);
      }
      const back = waitFor<DecryptedMessage>(alice, 'message', (m) => m.text === 'from bob');
      await bob.send(general, 'from bob');
      await back;
      latencies.sort((x, y) => x - y);
      console.log(
        `cross-process send->live delivery (A -> Redis -> B, 30 msgs): median ${percentile(latencies, 0.5).toFixed(1)} ms, ` +
          `p95 ${percentile(latencies, 0.95).toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`,
      );
      const seqs = async (c: ParleyClient) =>
        (await c.history(general, { limit: 100 })).map((m) => [m.seq, m.text]);
      expect(await seqs(bob)).toEqual(await seqs(alice));
    });

    it('[D1] [D3] SIGKILL of B: Bob resumes on A with nothing lost and nothing duplicated', async () => {
      await b.stop('SIGKILL');
      lb.target(a.url);
      // Sent while Bob's process is dead and his client is reconnecting.
      for (let i = 0; i < 10; i++) await alice.send(general, `during${i}`);
      await waitFor<DecryptedMessage>(bob, 'message', (m) => m.text === 'during9');
      const after = waitFor<DecryptedMessage>(bob, 'message', (m) => m.text === 'after');
      await alice.send(general, 'after');
      await after;
      const texts = bobGot.filter((m) => m.room === general).map((m) => m.text);
      const expected = [
        ...[...Array(30).keys()].map((i) => `a${i}`),
        'from bob',
        ...[...Array(10).keys()].map((i) => `during${i}`),
        'after',
      ];
      expect(texts).toEqual(expected);
      const seqs = bobGot.filter((m) => m.room === general).map((m) => m.seq);
      expect(new Set(seqs).size).toBe(seqs.length);
      expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
    });
  });
}
