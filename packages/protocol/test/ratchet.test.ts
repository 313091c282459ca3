// The sender-key hash ratchet [M1].
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { messageKey, nextChainKey, ratchetTo, randomBytes } from '@parley/protocol';
import { toHex } from './wycheproof.ts';

const hmac = (key: Uint8Array, byte: number) =>
  toHex(createHmac('sha256', key).update(Uint8Array.of(byte)).digest());
const chainKey = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('ratchet', () => {
  it('[M1] message_key = HMAC-SHA256(chain, 0x01) and chain_{i+1} = HMAC-SHA256(chain, 0x02)', async () => {
    const ck = randomBytes(32);
    expect(toHex(await messageKey(ck))).toBe(hmac(ck, 0x01));
    expect(toHex(await nextChainKey(ck))).toBe(hmac(ck, 0x02));
  });

  it('[M1] ratchetTo(k, a, c) equals ratchetTo(ratchetTo(k, a, b), b, c)', async () => {
    const indices = fc.tuple(fc.nat(20), fc.nat(20), fc.nat(20)).map((xs) => xs.sort((x, y) => x - y));
    await fc.assert(
      fc.asyncProperty(chainKey, indices, async (k, [a, b, c]) => {
        const direct = await ratchetTo(k, a, c);
        const stepped = await ratchetTo(await ratchetTo(k, a, b), b, c);
        expect(toHex(direct)).toBe(toHex(stepped));
        // Only the distance counts: the ratchet has no notion of absolute index.
        expect(toHex(await ratchetTo(k, 0, c - a))).toBe(toHex(direct));
      }),
      { numRuns: 50 },
    );
  });

  it('[M1] ratchetTo(k, i, i) is k itself and one step is nextChainKey', async () => {
    const k = randomBytes(32);
    expect(await ratchetTo(k, 7, 7)).toEqual(k);
    expect(await ratchetTo(k, 7, 8)).toEqual(await nextChainKey(k));
  });

  it('[M1] message keys differ per index, and from every chain key', async () => {
    let ck = randomBytes(32);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      seen.add(toHex(await messageKey(ck)));
      seen.add(toHex(ck));
      ck = await nextChainKey(ck);
    }
    expect(seen.size).toBe(400);
  });

  it('[M1] cannot go back: a target index below the current one is a RangeError', async () => {
    await expect(ratchetTo(randomBytes(32), 5, 4)).rejects.toThrow(RangeError);
    await expect(ratchetTo(randomBytes(32), 1, 0)).rejects.toThrow(RangeError);
  });
});
