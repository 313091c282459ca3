// An event's hash [R1] on the server: the protocol's eventHash (chain.ts: SHA-256 of the canonical bytes of
// docs/protocol.md §0), computed for a message in one buffer. The protocol's general path builds the signed
// bytes, wraps them in the event body, wraps that in the event and decodes each base64url field with a
// JavaScript table: three allocations and copies of the ciphertext per message, about a tenth of a message's
// CPU under ingest. Here the nested layout is sized first and written once, base64url decoded by Node's
// native decoder. Membership changes (rare) take the protocol's path. event-hash.test.ts checks that both
// give the same bytes for arbitrary events, so the spec stays in canonical.ts.
import { hash } from 'node:crypto';
import { eventInputs, type CanonicalLabel, type EventContent, type Envelope } from '@parley/protocol';

/** A base64url field, written as the bytes it spells (canonical: unpadded, so its size is known). */
class B64u {
  readonly size: number;
  constructor(readonly text: string) {
    this.size = (text.length * 3) >> 2;
  }
}

/** A field that is itself canonical bytes (label and fields), written in place rather than built apart. */
class Nested {
  readonly size: number;
  constructor(
    readonly prefix: Buffer,
    readonly fields: readonly Field[],
  ) {
    this.size = fields.reduce<number>((n, f) => n + 4 + sizeOf(f), prefix.length);
  }
}

type Field = string | number | B64u | Nested;

const U64_BYTES = 8;
const prefixes = new Map<CanonicalLabel, Buffer>();
const prefixOf = (label: CanonicalLabel): Buffer => {
  let p = prefixes.get(label);
  if (!p) prefixes.set(label, (p = Buffer.from(`parley/v1/${label}\0`, 'utf8')));
  return p;
};

function sizeOf(f: Field): number {
  if (typeof f === 'string') return Buffer.byteLength(f, 'utf8');
  if (typeof f === 'number') return U64_BYTES;
  return f.size;
}

/** Writes `f` with its length prefix at `at`; returns the offset after it. */
function writeField(out: Buffer, at: number, f: Field): number {
  const size = sizeOf(f);
  out.writeUInt32BE(size, at);
  at += 4;
  if (typeof f === 'string') out.write(f, at, size, 'utf8');
  else if (typeof f === 'number') {
    if (!Number.isSafeInteger(f) || f < 0)
      throw new RangeError(`canonical: integer field ${f} is not in 0..2^53-1`);
    out.writeUInt32BE(Math.floor(f / 0x1_0000_0000), at);
    out.writeUInt32BE(f >>> 0, at + 4);
  } else if (f instanceof B64u) {
    // The wire schemas admit only canonical base64url; anything else would decode short.
    if (out.write(f.text, at, size, 'base64url') !== size) throw new RangeError('canonical: malformed base64url');
  } else writeNested(out, at, f);
  return at + size;
}

function writeNested(out: Buffer, at: number, n: Nested): void {
  n.prefix.copy(out, at);
  at += n.prefix.length;
  for (const f of n.fields) at = writeField(out, at, f);
}

/** messageBytes (crypto/message.ts) of an envelope: the bytes its sender signed, as a nested field. */
function signedMessage(e: Envelope, sender: string): Nested {
  return new Nested(prefixOf('msg'), [
    e.v,
    e.room,
    sender,
    new B64u(e.sessionId),
    e.index,
    e.memberSeq,
    new B64u(e.iv),
    new B64u(e.ciphertext),
    new B64u(e.commit),
    new B64u(e.clientMsgId),
    e.counter,
  ]);
}

/** SHA-256 of the event's canonical bytes: equal to the protocol's `eventHash`. */
export function eventHash(room: string, seq: number, ts: number, e: EventContent & { sender: string }): Buffer {
  if (e.kind === 'member') {
    return hash('sha256', eventInputs({ ...e, room, seq, ts }).hashed, 'buffer');
  }
  const body = new Nested(prefixOf('event-body'), [
    signedMessage(e.content, e.sender),
    new B64u(e.content.signature),
  ]);
  const event = new Nested(prefixOf('event'), [room, seq, ts, e.kind, e.sender, body]);
  const out = Buffer.allocUnsafe(event.size);
  writeNested(out, 0, event);
  return hash('sha256', out, 'buffer');
}
