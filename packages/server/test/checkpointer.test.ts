// WAL checkpoints run in a worker thread (storage/checkpointer.ts): the server's connection only finishes
// what the worker left once the WAL is large, the worker's copy the WAL into the database file, the WAL
// stays bounded under a steady stream of commits, and the connection takes checkpoints back once the worker
// is gone.
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Checkpointer } from '../src/storage/checkpointer.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A database file of its own in WAL mode, removed after the test. */
function walDatabase(): { file: string; db: BetterSqlite3.Database } {
  const dir = mkdtempSync(path.join(tmpdir(), 'parley-ckpt-'));
  dirs.push(dir);
  const file = path.join(dir, 'db.sqlite');
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  return { file, db };
}

describe('checkpointer', () => {
  it('checkpoints from its worker (the connection only past 4,096 frames), and hands checkpoints back on stop', async () => {
    const { file, db } = walDatabase();
    db.exec('create table t (x text)');
    const checkpointer = new Checkpointer(db, file, 50);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(4096);
    const insert = db.prepare('insert into t values (?)');
    // ~6 MB: past the 1,000 pages at which the connection would have checkpointed on its own.
    db.transaction(() => {
      for (let i = 0; i < 1500; i++) insert.run('x'.repeat(4000));
    })();
    const before = statSync(file).size;
    const deadline = Date.now() + 10_000;
    while (statSync(file).size < before + 5_000_000 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(statSync(file).size).toBeGreaterThan(before + 5_000_000);
    await checkpointer.stop();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    db.close();
  });

  it('keeps the WAL bounded under a steady stream of commits (the connection finishes what the worker left)', async () => {
    const { file, db } = walDatabase();
    db.pragma('synchronous = off');
    db.exec('create table t (x text)');
    const checkpointer = new Checkpointer(db, file, 200);
    const insert = db.prepare('insert into t values (?)');
    let largest = 0;
    // ~72,000 frames written (~300 MB) in small commits, far faster than a server writes, the worker
    // checkpointing all along. Without a restart the WAL file holds every one of them.
    for (let i = 0; i < 24_000; i++) {
      db.transaction(() => insert.run('x'.repeat(6000)))();
      if (i % 100 === 0) {
        largest = Math.max(largest, statSync(`${file}-wal`).size);
        await new Promise((r) => setImmediate(r));
      }
    }
    await checkpointer.stop();
    db.close();
    // The finishing threshold (4,096 frames, ~16 MB) plus what was written while the worker copied.
    expect(largest).toBeLessThan(100_000_000);
  });

  // Linux only: elsewhere there is no per-thread priority to read (and the worker keeps the server's).
  it.runIf(process.platform === 'linux')('runs its worker at a lower priority than the event loop', async () => {
    const { file, db } = walDatabase();
    /** The nice value of every thread of this process (field 19 of /proc/self/task/TID/stat). */
    const niceValues = () =>
      readdirSync('/proc/self/task').map((tid) => {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
      });
    const before = niceValues().filter((n) => n > 0).length;
    const checkpointer = new Checkpointer(db, file, 50);
    const deadline = Date.now() + 10_000;
    while (niceValues().filter((n) => n > 0).length === before && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(niceValues().filter((n) => n > 0).length).toBe(before + 1);
    expect(niceValues()[0]).toBe(0);
    await checkpointer.stop();
    db.close();
  });
});
