// What a connection writes, framed by us and written to the TCP socket the upgrade handed the gateway
// (`server.on('upgrade', (req, socket, head))`, the socket ws's handleUpgrade takes): ws reads and answers
// control frames (pong, close); every text frame the server sends leaves through here, through the
// socket's public API, no ws internals.
//
// Every frame pushed to a connection in one turn of the event loop goes out in one socket write, at the
// end of that turn (a microtask). A group commit resolves its senders' acks and fans out its events in the
// same turn: a sender's acks and its room's run then cost one system call instead of one per frame. A room's
// frame is framed once for all its sockets (shared-frame.ts); what that and this save is measured in
// docs/performance.md ("One write per socket per turn").
//
// Safe beside ws because of how the server uses it: without permessage-deflate and without Blob payloads,
// ws writes its own frames (pong, close) whole and synchronously, so they land between ours, never inside
// one; `flush()` runs before the server closes a socket, so nothing it queued follows the close frame.
import type { Duplex } from 'node:stream';

/**
 * Past this many bytes queued, the outbox writes at once: the [D4] bound is on what the kernel did not take,
 * and a turn's worth of large frames must not count against it before it was offered.
 */
const WRITE_NOW_BYTES = 64 * 1024;

/** Outboxes with frames waiting, written by one microtask at the end of the turn. */
const waiting: Outbox[] = [];

function flushWaiting(): void {
  for (const outbox of waiting.splice(0)) outbox.flush();
}

export class Outbox {
  private parts: Buffer[] = [];
  private bytes = 0;

  constructor(private readonly socket: Duplex) {}

  /** Bytes accepted and not yet handed to the kernel: the [D4] bound is on this. */
  get buffered(): number {
    return this.socket.writableLength + this.bytes;
  }

  /** Queues one or more whole frames (RFC 6455 bytes) for the write at the end of this turn. */
  push(frames: Buffer): void {
    this.bytes += frames.length;
    const first = this.parts.push(frames) === 1;
    if (this.bytes >= WRITE_NOW_BYTES) this.flush();
    else if (first && waiting.push(this) === 1) queueMicrotask(flushWaiting);
  }

  /** Writes what is queued now, in one write. */
  flush(): void {
    if (this.parts.length === 0) return;
    const parts = this.parts;
    this.parts = [];
    this.bytes = 0;
    if (this.socket.destroyed || !this.socket.writable) return;
    this.socket.write(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
  }
}
