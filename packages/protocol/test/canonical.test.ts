// Canonical bytes (docs/protocol.md §0): the only thing Parley signs or hashes. Injective per label, and the
// label separates domains, so a signature made for one purpose is never valid for another.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  B64u,
  CANONICAL_LABELS,
  Canonical,
  canonical,
  encodeCanonical,
  fromB64u,
  toB64u,
  utf8,
  writtenBytes,
  type CanonicalLabel,
} from '@parley/protocol';
import { toHex } from './wycheproof.ts';

/** An independent decoder of the spec's layout: if it recovers label and fields, the encoding is injective. */
function decode(bytes: Uint8Array): { label: string; fields: Uint8Array[] } {
  const zero = bytes.indexOf(0);
  const label = new TextDecoder().decode(bytes.subarray(0, zero));
  const fields: Uint8Array[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = zero + 1;
  while (at < bytes.length) {
    const len = view.getUint32(at);
    fields.push(bytes.slice(at + 4, at + 4 + len));
    at += 4 + len;
  }
  expect(at).toBe(bytes.length);
  return { label, fields };
}

const label = fc.constantFrom(...CANONICAL_LABELS);
const byteFields = fc.array(fc.uint8Array({ maxLength: 12 }), { maxLength: 6 });

describe('canonical', () => {
  it('[§0] known answer: label, 0x00, then u32be-length-prefixed fields (string, u64be integer, boolean)', () => {
    const bytes = canonical('wrap', ['al', 1, true, Uint8Array.of(9)]);
    expect(toHex(bytes)).toBe(
      toHex(utf8('parley/v1/wrap')) +
        '00' +
        '00000002616c' +
        '000000080000000000000001' +
        '0000000101' +
        '0000000109',
    );
    expect(toHex(canonical('head', [false]))).toBe(toHex(utf8('parley/v1/head')) + '00' + '0000000100');
  });

  it('[§0] decodes back to exactly its label and fields (so different field lists give different bytes)', () => {
    fc.assert(
      fc.property(label, byteFields, (l, fields) => {
        expect(decode(canonical(l, fields))).toEqual({ label: `parley/v1/${l}`, fields });
      }),
    );
  });

  it('[§0] injective: two different field lists never encode to the same bytes', () => {
    const mixedField = fc.oneof(
      fc.uint8Array({ maxLength: 6 }),
      fc.string({ maxLength: 6 }),
      fc.boolean(),
      fc.nat(),
    );
    const asBytes = (f: unknown[]) => JSON.stringify(decode(canonical('msg', f as never)).fields.map(toHex));
    fc.assert(
      fc.property(fc.array(mixedField, { maxLength: 5 }), fc.array(mixedField, { maxLength: 5 }), (a, b) => {
        // Fields are compared by their byte encoding: per label every position has one fixed type.
        const same = asBytes(a) === asBytes(b);
        expect(toHex(canonical('msg', a)) === toHex(canonical('msg', b))).toBe(same);
      }),
    );
    // The classic concatenation ambiguities are separated by the length prefixes.
    expect(canonical('msg', ['ab', 'c'])).not.toEqual(canonical('msg', ['a', 'bc']));
    expect(canonical('msg', [])).not.toEqual(canonical('msg', ['']));
    expect(canonical('msg', [''])).not.toEqual(canonical('msg', ['', '']));
  });

  it('[§0] labels separate domains: the same fields under two labels never give the same bytes', () => {
    fc.assert(
      fc.property(label, label, byteFields, byteFields, (l1, l2, f1, f2) => {
        fc.pre(l1 !== l2);
        expect(toHex(canonical(l1, f1))).not.toBe(toHex(canonical(l2, f2)));
      }),
    );
    const labels: readonly CanonicalLabel[] = CANONICAL_LABELS;
    expect(new Set(labels).size).toBe(labels.length);
  });

  it('[§0] strings are UTF-8: a lone surrogate encodes as U+FFFD, so schemas admit only well-formed text', () => {
    // Why wire.ts refuses lone surrogates in signed free text (room names): otherwise two values, one signature.
    expect(canonical('member', ['\ud800'])).toEqual(canonical('member', ['\ufffd']));
  });

  it('[§0] integers outside 0..2^53-1 or not integers are misuse (RangeError)', () => {
    for (const bad of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1, NaN, Infinity]) {
      expect(() => canonical('msg', [bad]), String(bad)).toThrow(RangeError);
    }
    expect(toHex(canonical('msg', [Number.MAX_SAFE_INTEGER])).endsWith('001fffffffffffff')).toBe(true);
  });

  it('[§0] a nested value and a base64url field are written in place as the bytes they stand for, viewable there', () => {
    fc.assert(
      fc.property(
        label,
        label,
        byteFields,
        fc.uint8Array({ maxLength: 40 }),
        fc.string(),
        (outer, inner, fields, raw, text) => {
          const nested = new Canonical(inner, [...fields, new B64u(toB64u(raw))]);
          const field = new B64u(toB64u(raw));
          const bytes = encodeCanonical(new Canonical(outer, [text, nested, field, 7]));
          const innerBytes = canonical(inner, [...fields, raw]);
          expect(toHex(bytes)).toBe(toHex(canonical(outer, [text, innerBytes, raw, 7])));
          // The views are of the encoding itself, at the places the fields were written.
          expect(toHex(writtenBytes(nested))).toBe(toHex(innerBytes));
          expect(toHex(writtenBytes(field))).toBe(toHex(raw));
          expect(writtenBytes(field).buffer).toBe(bytes.buffer);
        },
      ),
    );
  });

  it('[§0] a base64url field that is not canonical base64url is refused, not written as other bytes', () => {
    const good = toB64u(Uint8Array.of(1, 2, 3, 4));
    expect(fromB64u(good)).toEqual(Uint8Array.of(1, 2, 3, 4));
    for (const bad of ['A', 'AB*D', 'AQ==', 'AR', 'é']) {
      expect(() => encodeCanonical(new Canonical('msg', [new B64u(bad)])), bad).toThrow(RangeError);
    }
    expect(() => writtenBytes(new B64u(good))).toThrow(/before it was encoded/);
  });
});
