// WAL checkpoints run in a worker thread (storage/checkpointer.ts): the server's connection takes none itself
// while the worker runs, the worker's copy the WAL into the database file, and the connection takes them back
// once the worker is gone.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Checkpointer } from '../src/storage/checkpointer.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('checkpointer', () => {
  it('checkpoints from its worker while the connection takes none, and hands checkpoints back on stop', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parley-ckpt-'));
    dirs.push(dir);
    const file = path.join(dir, 'db.sqlite');
    const db = new BetterSqlite3(file);
    db.pragma('journal_mode = WAL');
    db.exec('create table t (x text)');
    const checkpointer = new Checkpointer(db, file, 50);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
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
});
