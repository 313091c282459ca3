// The only bytes Parley ever signs or hashes (docs/protocol.md §0): a domain label, then length-prefixed
// fields. Length prefixes make the encoding injective; the label keeps a signature for one purpose from
// being valid for another.
import { b64uLength, concatBytes, decodeB64uInto, utf8 } from './bytes.ts';

/**
 * A field: bytes, a string (UTF-8), an integer (u64be), a boolean, bytes still spelled in base64url, or canonical
 * bytes of their own (a label and fields, as the event wraps the body that wraps the signed message). The last
 * two are written in place: decoding a wire field or nesting a value costs no array of its own.
 */
export type CanonicalField = Uint8Array | string | number | boolean | B64u | Canonical;

/** A field given as the base64url (no padding) that spells its bytes, as the wire carries it. */
export class B64u implements Placed {
  readonly size: number;
  out: Uint8Array | null = null;
  at = 0;

  constructor(readonly text: string) {
    this.size = b64uLength(text);
    if (this.size < 0) throw new RangeError('canonical: a base64url field is not canonical base64url');
  }
}

/**
 * What a platform does natively (Node's Buffer on the server): allocate the buffer an encoding then fills
 * whole (so it need not be zeroed), and decode base64url into it; returns the bytes written. Given only for
 * fields the wire schemas already checked: canonical base64url, which every decoder reads alike.
 */
export interface NativeBytes {
  allocate(size: number): Uint8Array;
  writeB64u(out: Uint8Array, at: number, text: string): number;
}

const portableBytes: NativeBytes = {
  allocate: (size) => new Uint8Array(size),
  writeB64u: (out, at, text) => (decodeB64uInto(text, out, at) ? b64uLength(text) : -1),
};

/**
 * Where `encodeCanonical` wrote a value (alone or nested in another): writtenBytes gives the view. Kept as
 * fields, not a view or an object, because nobody asks for most of them (the server, for any).
 */
interface Placed {
  out: Uint8Array | null;
  at: number;
  readonly size: number;
}

/** Canonical bytes to be written: `encodeCanonical(value)` gives `canonical(label, fields)`. */
export class Canonical implements Placed {
  out: Uint8Array | null = null;
  at = 0;
  /** Its encoded size, once written. */
  size = 0;

  constructor(
    readonly label: CanonicalLabel,
    readonly fields: readonly CanonicalField[],
  ) {}
}

export const CANONICAL_LABELS = [
  'wrap',
  'fingerprint',
  'event',
  'event-body',
  'head',
  'member',
  'msg-aad',
  'msg',
  'share',
  'own-key-proof',
  'vault',
] as const;
export type CanonicalLabel = (typeof CANONICAL_LABELS)[number];

const prefixes = new Map<string, Uint8Array>();
/** `parley/v1/<label>` and its 0x00 separator, encoded once per label. */
function prefixOf(label: CanonicalLabel): Uint8Array {
  let p = prefixes.get(label);
  if (!p) prefixes.set(label, (p = concatBytes(utf8(`parley/v1/${label}`), Uint8Array.of(0))));
  return p;
}

/** A string's UTF-8 bytes; ASCII (ids, names, labels: nearly every string signed) skips the TextEncoder. */
function stringBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return utf8(text);
    out[i] = c;
  }
  return out;
}

const U64_BYTES = 8;

function checkedInteger(field: number): number {
  if (!Number.isSafeInteger(field) || field < 0) {
    throw new RangeError(`canonical: integer field ${field} is not in 0..2^53-1`);
  }
  return field;
}

/** A value sized, its strings encoded: what the writer needs, computed once. */
interface Sized {
  value: Canonical;
  prefix: Uint8Array;
  parts: (Uint8Array | number | boolean | B64u | Sized)[];
  size: number;
}

function sized(value: Canonical): Sized {
  const prefix = prefixOf(value.label);
  const parts: Sized['parts'] = [];
  let size = prefix.length;
  for (const field of value.fields) {
    const part =
      typeof field === 'string' ? stringBytes(field) : field instanceof Canonical ? sized(field) : field;
    parts.push(part);
    size += 4 + partSize(part);
  }
  return { value, prefix, parts, size };
}

function partSize(part: Sized['parts'][number]): number {
  if (part instanceof Uint8Array) return part.length;
  if (typeof part === 'boolean') return 1;
  if (typeof part === 'number') return U64_BYTES;
  return part.size;
}

function write(out: Uint8Array, view: DataView, start: number, s: Sized, native: NativeBytes): void {
  out.set(s.prefix, start);
  let at = start + s.prefix.length;
  for (const part of s.parts) {
    const size = partSize(part);
    view.setUint32(at, size);
    at += 4;
    if (part instanceof Uint8Array) out.set(part, at);
    else if (typeof part === 'boolean') out[at] = part ? 1 : 0;
    else if (typeof part === 'number') {
      const n = checkedInteger(part);
      view.setUint32(at, Math.floor(n / 0x1_0000_0000));
      view.setUint32(at + 4, n >>> 0);
    } else if (part instanceof B64u) {
      if (native.writeB64u(out, at, part.text) !== size) {
        throw new RangeError('canonical: a base64url field is not canonical base64url');
      }
      part.out = out;
      part.at = at;
    } else write(out, view, at, part, native);
    at += size;
  }
  s.value.out = out;
  s.value.at = start;
  s.value.size = s.size;
}

/**
 * The canonical bytes of `value`: sizes first, then one allocation, nested values and base64url fields written
 * in place (writtenBytes then gives each one's view there). This runs for every event the server commits and
 * every message a client verifies, so it avoids BigInt and per-field buffers; the layout is the spec's
 * (docs/protocol.md §0) and canonical.test.ts pins it.
 */
export function encodeCanonical(value: Canonical, native: NativeBytes = portableBytes): Uint8Array {
  const root = sized(value);
  const out = native.allocate(root.size);
  write(out, new DataView(out.buffer, out.byteOffset, out.byteLength), 0, root, native);
  return out;
}

/** A nested value's bytes inside the encoding that wrote it (a view). */
export function writtenBytes(value: Canonical | B64u): Uint8Array {
  if (!value.out) throw new RangeError('canonical: a value read before it was encoded');
  return value.out.subarray(value.at, value.at + value.size);
}

/** The canonical bytes of `fields` under `label`. */
export const canonical = (label: CanonicalLabel, fields: readonly CanonicalField[]): Uint8Array =>
  encodeCanonical(new Canonical(label, fields));
