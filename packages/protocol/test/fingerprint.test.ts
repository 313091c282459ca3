// Fingerprints and safety numbers [K6].
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  canonical,
  fingerprint,
  formatFingerprint,
  fromB64u,
  safetyNumber,
  type PublicKeysB64,
} from '@parley/protocol';
import { b64uOf } from './fixtures.ts';
import { toHex } from './wycheproof.ts';

// fingerprint() hashes the SPKI bytes without parsing them, so random bytes stand in for keys here.
const keys: fc.Arbitrary<PublicKeysB64> = fc.record({ signing: b64uOf(40), encryption: b64uOf(40) });
const userId = fc.constantFrom('alice', 'bob', 'carol', 'dave');
const user = fc.record({ userId, keys });

/** The spec's digits, computed independently with BigInt: bytes 5i..5i+4 big-endian, mod 100 000. */
function groups(fp: Uint8Array): string[] {
  return Array.from({ length: 6 }, (_, i) => {
    const n = BigInt(`0x${toHex(fp.subarray(5 * i, 5 * i + 5))}`);
    return (n % 100_000n).toString().padStart(5, '0');
  });
}

describe('fingerprint', () => {
  it('[K6] is SHA-256 over canonical("fingerprint", [userId, signing SPKI, encryption SPKI])', async () => {
    await fc.assert(
      fc.asyncProperty(userId, keys, async (id, k) => {
        const bytes = canonical('fingerprint', [id, fromB64u(k.signing), fromB64u(k.encryption)]);
        expect(toHex(await fingerprint(id, k))).toBe(createHash('sha256').update(bytes).digest('hex'));
      }),
      { numRuns: 20 },
    );
  });

  it('[K6] formatFingerprint is the hex in groups of four', () => {
    const fp = Uint8Array.from({ length: 32 }, (_, i) => i * 8);
    const text = formatFingerprint(fp);
    expect(text.split(' ')).toHaveLength(16);
    expect(text.replace(/ /g, '')).toBe(toHex(fp));
    expect(text.startsWith('0008 1018 ')).toBe(true);
  });
});

describe('safetyNumber', () => {
  it('[K6] is symmetric, 12 groups of 5 digits: six from the lower user id, then six from the higher', async () => {
    await fc.assert(
      fc.asyncProperty(user, user, async (a, b) => {
        fc.pre(a.userId !== b.userId);
        const n = await safetyNumber(a, b);
        expect(n).toMatch(/^\d{5}( \d{5}){11}$/);
        expect(await safetyNumber(b, a)).toBe(n);
        const [lo, hi] = a.userId < b.userId ? [a, b] : [b, a];
        const expected = [
          ...groups(await fingerprint(lo.userId, lo.keys)),
          ...groups(await fingerprint(hi.userId, hi.keys)),
        ];
        expect(n).toBe(expected.join(' '));
      }),
      { numRuns: 30 },
    );
  });

  it('[K6] changes when any one key of either user changes', async () => {
    const change = fc.record({
      who: fc.constantFrom('a' as const, 'b' as const),
      which: fc.constantFrom('signing' as const, 'encryption' as const),
    });
    await fc.assert(
      fc.asyncProperty(keys, keys, change, b64uOf(40), async (ka, kb, { who, which }, replacement) => {
        const a = { userId: 'alice', keys: ka };
        const b = { userId: 'bob', keys: kb };
        const target = who === 'a' ? a : b;
        fc.pre(target.keys[which] !== replacement);
        const before = await safetyNumber(a, b);
        const changed = { ...target, keys: { ...target.keys, [which]: replacement } };
        const after = who === 'a' ? await safetyNumber(changed, b) : await safetyNumber(a, changed);
        expect(after).not.toBe(before);
      }),
      { numRuns: 40 },
    );
  });

  it('[K6] swapping a user’s signing and encryption keys changes the fingerprint (the order is bound)', async () => {
    const k = { signing: 'AAAA', encryption: 'BBBB' };
    const swapped = { signing: k.encryption, encryption: k.signing };
    expect(toHex(await fingerprint('alice', k))).not.toBe(toHex(await fingerprint('alice', swapped)));
  });
});
