// [D1] Message batches commit with synchronous=NORMAL and are acked only after a grouped fdatasync of the
// WAL (storage/wal-sync.ts). The grouping must never let a commit ride on a flush that began before it, and
// the connection must be back at FULL for every other write.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { randomId } from '@parley/protocol';
import { migrate } from '../src/storage/migrations.ts';
import { MemberCache } from '../src/storage/member-cache.ts';
import { DEFERRED_FLUSH_MIN, SqliteMessages } from '../src/storage/sqlite-messages.ts';
import { WalSync } from '../src/storage/wal-sync.ts';
import { envelope, keyPool, type TestUser } from './harness.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function database(): Promise<{ raw: BetterSqlite3.Database; file: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'parley-wal-'));
  dirs.push(dir);
  const file = path.join(dir, 'db.sqlite');
  const raw = new BetterSqlite3(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = FULL');
  await migrate(new Kysely<unknown>({ dialect: new SqliteDialect({ database: raw }) }), {
    serialId: 'autoincrement',
  });
  return { raw, file };
}

/** A flush the test completes by hand, to see which commits each one covers. */
function manualFlush() {
  const pending: ((err: Error | null) => void)[] = [];
  return {
    pending,
    flush: (_fd: number, done: (err: Error | null) => void) => void pending.push(done),
  };
}

const state = <T>(p: Promise<T>) => {
  const s = { done: false, failed: false };
  p.then(
    () => (s.done = true),
    () => (s.failed = true),
  );
  return s;
};
const tick = () => new Promise((r) => setImmediate(r));

describe('WAL sync', () => {
  it('a commit made while a flush runs waits for the next flush; one flush covers every commit before it', async () => {
    const { raw, file } = await database();
    const { pending, flush } = manualFlush();
    const wal = new WalSync(`${file}-wal`, flush);
    const first = state(wal.durable());
    const second = state(wal.durable());
    const third = state(wal.durable());
    expect(pending).toHaveLength(1);
    pending.shift()!(null);
    await tick();
    expect(first.done).toBe(true);
    // Begun before the second and third commits: it does not cover them, the queued flush does.
    expect([second.done, third.done]).toEqual([false, false]);
    expect(pending).toHaveLength(1);
    const settled = state(wal.settled());
    pending.shift()!(null);
    await tick();
    expect([second.done, third.done, settled.done]).toEqual([true, true, true]);
    wal.close();
    raw.close();
  });

  it('a failed flush fails the commits waiting on it, and the next flush works', async () => {
    const { raw, file } = await database();
    const { pending, flush } = manualFlush();
    const wal = new WalSync(`${file}-wal`, flush);
    const lost = state(wal.durable());
    pending.shift()!(new Error('EIO'));
    await tick();
    expect(lost.failed).toBe(true);
    const next = state(wal.durable());
    pending.shift()!(null);
    await tick();
    expect(next.done).toBe(true);
    wal.close();
    raw.close();
  });

  it('a burst commits without the inline fsync, is durable after the flush, and FULL is restored', async () => {
    const { raw, file } = await database();
    const alice = { name: 'alice', pairs: (await keyPool())[0]! } as TestUser;
    const room = randomId();
    raw
      .prepare(
        'insert into rooms (id, name, is_public, created_at, head_seq, head_chain) values (?, ?, 0, 0, 0, ?)',
      )
      .run(room, 'r', 'A'.repeat(43));
    raw.prepare("insert into members (room, user_id, role) values (?, ?, 'admin')").run(room, alice.name);
    const { pending, flush } = manualFlush();
    const messages = new SqliteMessages(raw, null, new WalSync(`${file}-wal`, flush));
    const send = async (n: number) =>
      Promise.all(
        Array.from({ length: n }, async (_, i) => ({
          kind: 'message' as const,
          sender: alice.name,
          envelope: await envelope(alice, room, i + 1),
        })),
      );
    // A burst: committed, then durable only once the flush it asked for has finished.
    const burst = messages.commit(await send(DEFERRED_FLUSH_MIN), Date.now(), new MemberCache());
    expect(burst.map((r) => r.ok && r.events[0]!.seq)).toEqual(
      Array.from({ length: DEFERRED_FLUSH_MIN }, (_, i) => i + 1),
    );
    expect(raw.pragma('synchronous', { simple: true })).toBe(2);
    const durable = state(messages.durable());
    await tick();
    expect(durable.done).toBe(false);
    pending.shift()!(null);
    await tick();
    expect(durable.done).toBe(true);
    // A smaller batch: flushed inside its COMMIT (a thread-pool round trip costs more), durable on return.
    messages.commit(await send(DEFERRED_FLUSH_MIN - 1), Date.now(), new MemberCache());
    await messages.durable();
    expect(pending).toHaveLength(0);
    expect(raw.prepare('select count(*) as n from events where room = ?').get(room)).toEqual({
      n: 2 * DEFERRED_FLUSH_MIN - 1,
    });
    messages.close();
    raw.close();
  });
});
