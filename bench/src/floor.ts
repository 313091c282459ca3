// `npm run bench:floor`: what this machine charges a server for work that no code change removes, measured
// the way the benchmark measures servers (process CPU time). At a fixed low rate every message wakes the
// server from idle; a durable ack needs its commit flushed to disk. docs/performance.md explains the figures.
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROUNDS = 300;
const cpuMicros = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU per wake-up of an idle event loop: a timer that fires every `ms` and does nothing. */
async function wakeUp(ms: number): Promise<number> {
  const start = cpuMicros();
  for (let i = 0; i < ROUNDS; i++) await sleep(ms);
  return (cpuMicros() - start) / ROUNDS;
}

/** CPU per durable commit: 5 pages of 4 KB appended (a message's WAL frames) and fdatasync, every `ms`. */
async function durableAppend(dir: string, ms: number): Promise<number> {
  const fd = openSync(path.join(dir, 'wal'), 'w');
  const page = Buffer.alloc(4096, 7);
  let at = 0;
  const start = cpuMicros();
  for (let i = 0; i < ROUNDS; i++) {
    for (let p = 0; p < 5; p++) at += writeSync(fd, page, 0, page.length, at);
    fdatasyncSync(fd);
    await sleep(ms);
  }
  const perRound = (cpuMicros() - start) / ROUNDS;
  closeSync(fd);
  return perRound;
}

const dir = mkdtempSync(path.join(tmpdir(), 'parley-floor-'));
try {
  const idle = await wakeUp(10);
  const durable = await durableAppend(dir, 10);
  console.log(`idle wake-up every 10 ms: ${idle.toFixed(0)} µs of CPU each`);
  console.log(`5-page append + fdatasync every 10 ms: ${durable.toFixed(0)} µs of CPU each`);
  console.log(`  of which the durable write itself: ${(durable - idle).toFixed(0)} µs`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
