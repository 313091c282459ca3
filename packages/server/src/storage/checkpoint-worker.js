// The checkpointer's worker thread (checkpointer.ts). Plain JavaScript, so it runs without a TypeScript loader
// wherever the server does (node --import tsx, vitest, a compiled build): it opens the database with a
// connection of its own, runs a PASSIVE checkpoint every `intervalMs`, and closes when asked.
import { readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';

const Database = createRequire(import.meta.url)('better-sqlite3');
const db = new Database(workerData.file);
try {
  // Linux: this thread's id is the last part of /proc/thread-self; setpriority on it renices this thread only.
  setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), workerData.nice);
} catch {
  // Elsewhere checkpoints run at the server's priority.
}
const timer = setInterval(() => db.pragma('wal_checkpoint(PASSIVE)'), workerData.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
