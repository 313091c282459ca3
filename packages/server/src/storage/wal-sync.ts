// [D1] The durable half of a message commit, off the event loop. With synchronous=FULL SQLite fsyncs the
// WAL inside COMMIT: the event loop stands still for the whole disk flush, reading no frame
// and writing no ack meanwhile. Bursts of messages therefore commit with synchronous=NORMAL (the frames reach
// the WAL, nothing is flushed) and then wait for an fdatasync of the WAL file on libuv's thread pool, before
// anything is acked or fanned out: on disk before its ack, as with FULL, which is exactly "fsync the WAL
// after each commit" (sqlite.org/pragma.html#pragma_synchronous). Checkpoints sync the WAL themselves in
// both modes. Syncs are grouped: one flush covers every commit written before it started.
import { fdatasync, openSync, closeSync } from 'node:fs';

export class WalSync {
  private readonly fd: number;
  /** The flush under way, and the one queued behind it for commits written after it started. */
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  /** `flush` is fdatasync; a test gives its own to watch the grouping. */
  constructor(
    walFile: string,
    private readonly flush: (fd: number, done: (err: Error | null) => void) => void = fdatasync,
  ) {
    this.fd = openSync(walFile, 'r+');
  }

  /** Resolves once everything written to the WAL before the call is on disk. */
  durable(): Promise<void> {
    if (!this.running) return this.start();
    this.queued ??= this.running.then(
      () => this.startQueued(),
      () => this.startQueued(),
    );
    return this.queued;
  }

  /** Resolves once every flush asked for so far has finished (reads wait for it: nothing unflushed is shown). */
  settled(): Promise<void> {
    return (this.queued ?? this.running ?? Promise.resolve()).catch(() => undefined);
  }

  close(): void {
    closeSync(this.fd);
  }

  private startQueued(): Promise<void> {
    this.queued = null;
    return this.start();
  }

  private start(): Promise<void> {
    const flush = new Promise<void>((resolve, reject) => {
      this.flush(this.fd, (err) => (err ? reject(err) : resolve()));
    });
    this.running = flush;
    const done = () => {
      if (this.running === flush) this.running = null;
    };
    flush.then(done, done);
    return flush;
  }
}
