// A room's frame framed once for all its sockets [§8]: the RFC 6455 header and the UTF-8 payload are built
// into one buffer when the first socket needs it, and every socket of the room gets that same buffer in one
// write. `ws.send` would build a header per socket and write header and payload as two buffers (a writev).
// Under load a group commit holds several messages of a room: they go out as one run, one write per socket
// for all of them, so a socket costs one system call per commit rather than one per message.
//
// Writing under ws is safe because of how the server uses it: without permessage-deflate and without Blob
// payloads, ws's Sender never queues, and writes each frame to the socket synchronously in call order, so a
// frame written here cannot overtake or split one written by ws. A socket that doesn't look like that (ws
// internals changed) gets the plain `send`.
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/**
 * An RFC 6455 §5.2 frame as a server sends protocol frames: FIN, text (opcode 0x1), unmasked, uncompressed;
 * the payload length in 7 bits, or 126 + 16 bits, or 127 + 64 bits.
 */
export function textFrame(payload: Buffer): Buffer {
  const n = payload.length;
  const headerLength = n < 126 ? 2 : n < 0x1_0000 ? 4 : 10;
  const out = Buffer.allocUnsafe(headerLength + n);
  out[0] = 0x81;
  if (n < 126) out[1] = n;
  else if (n < 0x1_0000) {
    out[1] = 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(Math.floor(n / 0x1_0000_0000), 2);
    out.writeUInt32BE(n >>> 0, 6);
  }
  payload.copy(out, headerLength);
  return out;
}

export class SharedFrame {
  private framed: Buffer | null = null;
  constructor(readonly text: string) {}

  /** Header and payload in one buffer, built on first use. */
  get bytes(): Buffer {
    this.framed ??= textFrame(Buffer.from(this.text));
    return this.framed;
  }
}

/** Consecutive events of one room (seq, seq + 1, …), framed once and written to each socket in one write. */
export class SharedRun {
  readonly frames: SharedFrame[];
  private framed: Buffer | null = null;

  constructor(
    readonly room: string,
    readonly seq: number,
    texts: readonly string[],
  ) {
    this.frames = texts.map((t) => new SharedFrame(t));
  }

  get lastSeq(): number {
    return this.seq + this.frames.length - 1;
  }

  get bytes(): Buffer {
    this.framed ??= Buffer.concat(this.frames.map((f) => f.bytes));
    return this.framed;
  }
}

interface WsInternals {
  _socket?: Duplex;
  _sender?: { _state?: number; _queue?: unknown[] };
}

/** ws's Sender state when it writes straight through (lib/sender.js: DEFAULT). */
const SENDER_DEFAULT = 0;

/** Writes to an open socket: the shared bytes when ws would write straight through, else `send` per frame. */
export function writeShared(ws: WebSocket, shared: SharedFrame | SharedRun): void {
  const { _socket: socket, _sender: sender } = ws as unknown as WsInternals;
  if (socket && sender?._state === SENDER_DEFAULT && sender._queue?.length === 0) socket.write(shared.bytes);
  else if (shared instanceof SharedFrame) ws.send(shared.text);
  else for (const f of shared.frames) ws.send(f.text);
}
