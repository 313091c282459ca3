// The only bytes Parley ever signs or hashes (docs/protocol.md §0): a domain label, then length-prefixed
// fields. Length prefixes make the encoding injective; the label keeps a signature for one purpose from
// being valid for another.
import { concatBytes, utf8 } from './bytes.ts';

export type CanonicalField = Uint8Array | string | number | boolean;

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

/**
 * The canonical bytes of `fields` under `label`: sizes first, then one allocation written in place. This runs
 * for every event the server commits and every message a client verifies, so it avoids BigInt and
 * per-field buffers; the layout is the spec's (docs/protocol.md §0) and canonical.test.ts pins it.
 */
export function canonical(label: CanonicalLabel, fields: readonly CanonicalField[]): Uint8Array {
  const prefix = prefixOf(label);
  const parts: (Uint8Array | number | boolean)[] = [];
  let size = prefix.length;
  for (const field of fields) {
    const part = typeof field === 'string' ? stringBytes(field) : field;
    parts.push(part);
    size += 4 + (part instanceof Uint8Array ? part.length : typeof part === 'boolean' ? 1 : U64_BYTES);
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(prefix);
  let at = prefix.length;
  for (const part of parts) {
    if (part instanceof Uint8Array) {
      view.setUint32(at, part.length);
      out.set(part, at + 4);
      at += 4 + part.length;
    } else if (typeof part === 'boolean') {
      view.setUint32(at, 1);
      out[at + 4] = part ? 1 : 0;
      at += 5;
    } else {
      const n = checkedInteger(part);
      view.setUint32(at, U64_BYTES);
      view.setUint32(at + 4, Math.floor(n / 0x1_0000_0000));
      view.setUint32(at + 8, n >>> 0);
      at += 4 + U64_BYTES;
    }
  }
  return out;
}
