// Base64url at the wire edge (docs/protocol.md §0): one canonical spelling per value, strict decoding.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  concatBytes,
  equalBytes,
  fromB64u,
  b64u,
  isCanonicalB64u,
  randomId,
  timeOrderedId,
  toB64u,
  tryFromB64u,
  tryFromUtf8,
  utf8,
} from '@parley/protocol';

const B64U_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const b64uString = fc.string({ unit: fc.constantFrom(...B64U_CHARS), maxLength: 40 });
/** Base64url-looking text and anything else: what a decoder or schema must sort into accepted and refused. */
const anyText = fc.oneof(b64uString, fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 8 }));

describe('base64url', () => {
  it('[§0] toB64u is unpadded base64url (Node Buffer as the oracle) and tryFromB64u inverts it', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const text = toB64u(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64url'));
        expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(tryFromB64u(text)).toEqual(bytes);
        expect(fromB64u(text)).toEqual(bytes);
      }),
    );
  });

  it('[§0] encodes large inputs (beyond one String.fromCharCode chunk) correctly', () => {
    const big = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 7) & 0xff);
    expect(toB64u(big)).toBe(Buffer.from(big).toString('base64url'));
    expect(equalBytes(fromB64u(toB64u(big)), big)).toBe(true);
  });

  it("[§0] exactly the canonical spellings decode (Node's lenient decoder as the oracle)", () => {
    fc.assert(
      fc.property(b64uString, (text) => {
        const canonicalSpelling = text.length % 4 !== 1 && toB64u(fromB64uLoose(text)) === text;
        expect(tryFromB64u(text) !== null).toBe(canonicalSpelling);
      }),
    );
  });

  it('[§0] isCanonicalB64u accepts exactly what tryFromB64u decodes, without decoding', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(isCanonicalB64u(text)).toBe(tryFromB64u(text) !== null);
      }),
      { numRuns: 2000 },
    );
  });

  it('[§0] the b64u schema (alphabet by regex, then only the tail) accepts exactly what tryFromB64u decodes', () => {
    const schema = b64u(64);
    fc.assert(
      fc.property(anyText, (text) => {
        expect(schema.safeParse(text).success).toBe(tryFromB64u(text) !== null);
      }),
      { numRuns: 2000 },
    );
  });

  it('[§0] stray bits in the last character are rejected (one value, one spelling)', () => {
    expect(tryFromB64u('AA')).toEqual(Uint8Array.of(0));
    expect(tryFromB64u('AB')).toBeNull();
    expect(tryFromB64u('AAA')).toEqual(Uint8Array.of(0, 0));
    expect(tryFromB64u('AAB')).toBeNull();
    // 16 bytes = 22 characters whose last one carries 4 stray bits: the shape of every id on the wire.
    const id = toB64u(new Uint8Array(16));
    expect(tryFromB64u(`${id.slice(0, -1)}B`)).toBeNull();
  });

  it('[§0] padding, whitespace, the standard alphabet and impossible lengths are rejected', () => {
    for (const bad of [
      'AA==',
      'AAA=',
      'AA=',
      'A',
      'AAAAA',
      'AA AA',
      'AA\n',
      ' AA',
      'A+8',
      'A/8',
      'AA.',
      'ÄA',
      '%41',
    ]) {
      expect(tryFromB64u(bad), bad).toBeNull();
      expect(() => fromB64u(bad), bad).toThrow(RangeError);
    }
    expect(tryFromB64u('')).toEqual(new Uint8Array(0));
  });

  it('[§0] randomId is 16 random bytes in canonical b64u', () => {
    const ids = new Set(Array.from({ length: 50 }, randomId));
    expect(ids.size).toBe(50);
    for (const id of ids) expect(tryFromB64u(id)?.length).toBe(16);
  });

  it('[M4] timeOrderedId: 6 bytes of milliseconds (big-endian), 10 random bytes; ids made close in time share a prefix', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 48 - 1 }), (ms) => {
        const bytes = fromB64u(timeOrderedId(ms));
        expect(bytes.length).toBe(16);
        expect(bytes.subarray(0, 6).reduce((n, b) => n * 256 + b, 0)).toBe(ms);
      }),
    );
    const now = Date.UTC(2026, 11, 7, 12, 0, 0);
    const a = timeOrderedId(now);
    const b = timeOrderedId(now + 60_000);
    expect(a.slice(0, 5)).toBe(b.slice(0, 5));
    expect(a).not.toBe(timeOrderedId(now));
  });
});

/** Lenient decoder (Node's), only to show a rejected string really was a non-canonical spelling. */
function fromB64uLoose(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64url'));
}

describe('bytes helpers', () => {
  it('equalBytes is equality of contents', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (a, b) => {
        expect(equalBytes(a, b)).toBe(Buffer.from(a).equals(Buffer.from(b)));
        expect(equalBytes(a, a.slice())).toBe(true);
      }),
    );
  });

  it('concatBytes joins in order', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 20 }), { maxLength: 6 }), (parts) => {
        expect(concatBytes(...parts)).toEqual(new Uint8Array(Buffer.concat(parts)));
      }),
    );
  });

  it('utf8 roundtrips any string of scalar values; malformed UTF-8 gives null', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (s) => {
        expect(tryFromUtf8(utf8(s))).toBe(s);
      }),
    );
    expect(tryFromUtf8(Uint8Array.of(0xc3))).toBeNull();
    expect(tryFromUtf8(Uint8Array.of(0xff, 0x41))).toBeNull();
    expect(tryFromUtf8(Uint8Array.of(0xed, 0xa0, 0x80))).toBeNull(); // an encoded lone surrogate
  });
});
