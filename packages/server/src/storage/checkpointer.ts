// WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the COMMIT that takes the WAL
// past 1,000 pages: it copies those pages into the database file and fsyncs it, holding the event loop for
// tens of milliseconds under load (acks and fan-out wait). Here the server's connection turns it off
// (wal_autocheckpoint = 0) and a worker thread with a connection of its own runs a PASSIVE checkpoint, which
// neither waits for nor blocks the writer, every `intervalMs`. Should the worker fail, the server's
// connection checkpoints automatically again, so the WAL never grows without bound.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Database as BetterSqlite3 } from 'better-sqlite3';

/** Plain JavaScript (the worker runs no TypeScript loader): open, checkpoint on a timer, close on request. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
const timer = setInterval(() => db.pragma('wal_checkpoint(PASSIVE)'), workerData.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

const SQLITE_DEFAULT_AUTOCHECKPOINT = 1000;

export class Checkpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  constructor(
    private readonly db: BetterSqlite3,
    file: string,
    intervalMs = 1000,
  ) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, file, intervalMs } });
    db.pragma('wal_autocheckpoint = 0');
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
