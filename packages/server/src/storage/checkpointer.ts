// WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the COMMIT that takes the WAL
// past 1,000 pages: it copies those pages into the database file and fsyncs it, holding the event loop for
// tens of milliseconds under load (acks and fan-out wait). Here a worker thread with a connection of its own
// (checkpoint-worker.js) runs a PASSIVE checkpoint, which neither waits for nor blocks the writer, every
// `intervalMs`, and the server's connection only finishes what the worker left (FINISH_FRAMES). Should the
// worker fail, the connection checkpoints at SQLite's default again, so the WAL never grows without bound.
//
// The worker runs at a lower scheduling priority (a higher nice value, on Linux): it shares a core with the
// event loop when the server is pinned or busy, and a checkpoint copying a second's worth of WAL took the
// loop's time in the middle of a commit. At CHECKPOINT_NICE it still gets more of a contended core than
// copying the WAL needs; what that did to ingest p99 is in docs/performance.md ("What changed").
import { Worker } from 'node:worker_threads';
import type { Database as BetterSqlite3 } from 'better-sqlite3';

const SQLITE_DEFAULT_AUTOCHECKPOINT = 1000;
/**
 * The connection's own checkpoint threshold while the worker runs. Under a steady stream of commits a
 * PASSIVE checkpoint always ends a little behind the writer, and SQLite restarts the WAL from its start only
 * once every frame is copied: under steady ingest the file grew without bound. Past this many frames the
 * connection checkpoints after a commit, which copies just what the worker has not (it already copied the
 * rest) and lets the next write restart the WAL: the file stays near this many pages (docs/performance.md).
 */
const FINISH_FRAMES = 4096;
/** Scheduler weight 110 against the event loop's 1024 when both want the core. */
const CHECKPOINT_NICE = 10;

export class Checkpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  constructor(
    private readonly db: BetterSqlite3,
    file: string,
    intervalMs = 1000,
  ) {
    this.worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url), {
      workerData: { file, intervalMs, nice: CHECKPOINT_NICE },
    });
    db.pragma(`wal_autocheckpoint = ${FINISH_FRAMES}`);
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', () => {
        this.fallBack();
        resolve();
      });
    });
    // An error ends the worker ('exit' follows): the connection takes checkpoints back.
    this.worker.on('error', () => this.fallBack());
    // A waiting checkpoint timer must not keep the process alive on its own.
    this.worker.unref();
  }

  /** Asks the worker to close its connection and end; `exited` resolves when it has. */
  stop(): Promise<void> {
    this.worker.postMessage('stop');
    return this.exited;
  }

  private fallBack(): void {
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT}`);
  }
}
