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
] as const;
export type CanonicalLabel = (typeof CANONICAL_LABELS)[number];

function u32be(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

function fieldBytes(field: CanonicalField): Uint8Array {
  if (field instanceof Uint8Array) return field;
  if (typeof field === 'string') return utf8(field);
  if (typeof field === 'boolean') return Uint8Array.of(field ? 1 : 0);
  if (!Number.isSafeInteger(field) || field < 0) {
    throw new RangeError(`canonical: integer field ${field} is not in 0..2^53-1`);
  }
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(field));
  return b;
}

export function canonical(label: CanonicalLabel, fields: readonly CanonicalField[]): Uint8Array {
  const parts: Uint8Array[] = [utf8(`parley/v1/${label}`), Uint8Array.of(0)];
  for (const field of fields) {
    const bytes = fieldBytes(field);
    parts.push(u32be(bytes.length), bytes);
  }
  return concatBytes(...parts);
}
