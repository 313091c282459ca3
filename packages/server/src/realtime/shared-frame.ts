// A room's frame framed once for all its sockets [§8]: the RFC 6455 header and the UTF-8 payload are built
// into one buffer when the first socket needs it, and every socket of the room gets that same buffer.
// `ws.send` would encode the text and build a header per socket. Under load a group commit holds several
// messages of a room: they go out as one run, one buffer for all of them. Connections write them through
// their Outbox (outbox.ts).

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
