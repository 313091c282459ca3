// [M1] The reader's ratchet shortcut (one key import per step, message keys kept as CryptoKeys) must give the
// keys of the reference ratchet, in any order of asking, and never a key before the session's start.
import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  keyCommitment,
  messageKey,
  randomBytes,
  ratchetStep,
  ratchetTo,
  toB64u,
  utf8,
} from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { ChainCache } from '../src/chain-cache.ts';

const iv = new Uint8Array(12);
const aad = utf8('aad');

/** Ciphertext under the reference message key at `index` of a chain starting at `start` (index `from`). */
async function sealedAt(start: Uint8Array, from: number, index: number): Promise<Uint8Array> {
  const key = await messageKey(await ratchetTo(start, from, index));
  return aesGcmEncrypt(key, { iv, plaintext: utf8(`message ${index}`), aad });
}

describe('ChainCache', () => {
  it('[M1] a ratchet step is exactly nextChainKey and messageKey', async () => {
    const chain = randomBytes(32);
    const step = await ratchetStep(chain, true);
    expect(step.next).toEqual(await ratchetTo(chain, 0, 1));
    expect(step.messageKey).toEqual(await messageKey(chain));
    expect((await ratchetStep(chain, false)).messageKey).toBeUndefined();
  });

  it('[M1] message keys at any indices, asked in any order and again, open what the reference keys sealed', async () => {
    const start = randomBytes(32);
    const session = { chainKey: toB64u(start), index: 5 };
    const cache = new ChainCache();
    for (const ask of [[9, 5, 7], [6, 12, 9], [8]]) {
      const keys = await cache.messageKeysAt('s', session, ask);
      expect([...keys.keys()].sort((a, b) => a - b)).toEqual([...new Set(ask)].sort((a, b) => a - b));
      for (const index of ask) {
        const { key, commit } = await keys.get(index)!;
        // [M9] The commitment at the index, from the same chain key as the message key.
        expect(commit).toEqual(await keyCommitment(await ratchetTo(start, 5, index)));
        expect(key.extractable).toBe(false);
        expect(key.usages).toEqual(['decrypt']);
        const ciphertext = await sealedAt(start, 5, index);
        expect(await aesGcmDecrypt(key, { iv, ciphertext, aad })).toEqual(utf8(`message ${index}`));
      }
    }
    await expect(cache.messageKeysAt('s', session, [4])).rejects.toThrow(RangeError);
  });

  it('[M1] a new earliest key for the session (a later share) starts over from it', async () => {
    const cache = new ChainCache();
    const first = randomBytes(32);
    await cache.messageKeysAt('s', { chainKey: toB64u(first), index: 0 }, [3]);
    const other = randomBytes(32);
    const keys = await cache.messageKeysAt('s', { chainKey: toB64u(other), index: 0 }, [3]);
    const ciphertext = await sealedAt(other, 0, 3);
    expect(await aesGcmDecrypt((await keys.get(3)!).key, { iv, ciphertext, aad })).toEqual(utf8('message 3'));
  });
});
