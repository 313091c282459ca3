// Known-answer tests for AES-256-GCM [M1] [K2] through the project's own wrappers (aesGcmEncrypt / aesGcmDecrypt).
import { describe, expect, it } from 'vitest';
import { aesGcmDecrypt, aesGcmEncrypt, concatBytes } from '@parley/protocol';
import { hex, loadVectors, Tally, toHex, type WycheproofResult } from './wycheproof.ts';

interface AeadTest {
  tcId: number;
  key: string;
  iv: string;
  aad: string;
  msg: string;
  ct: string;
  tag: string;
  result: WycheproofResult;
}
interface AeadGroup {
  keySize: number;
  ivSize: number;
  tagSize: number;
  tests: AeadTest[];
}

const file = loadVectors<AeadGroup>('aes_gcm_test.json');
// Parley's suite is AES-256-GCM with a 96-bit IV and a 128-bit tag, nothing else.
const inSuite = (g: AeadGroup) => g.keySize === 256 && g.ivSize === 96 && g.tagSize === 128;
const suiteTests = file.testGroups.filter(inSuite).flatMap((g) => g.tests);
const otherTests = file.testGroups.filter((g) => !inSuite(g)).flatMap((g) => g.tests);

async function check(t: AeadTest): Promise<boolean> {
  const key = hex(t.key);
  const iv = hex(t.iv);
  const aad = hex(t.aad);
  const sealed = concatBytes(hex(t.ct), hex(t.tag));
  const opened = await aesGcmDecrypt(key, { iv, ciphertext: sealed, aad });
  if (t.result === 'invalid') return opened === null;
  const encrypted = await aesGcmEncrypt(key, { iv, plaintext: hex(t.msg), aad });
  const exact = opened !== null && toHex(opened) === t.msg && toHex(encrypted) === toHex(sealed);
  // 'acceptable' may go either way; it is counted, and only a valid answer must then be the exact one.
  return t.result === 'valid' ? exact : exact || opened === null;
}

describe('Wycheproof AES-GCM', () => {
  it('[M1] every AES-256 / 96-bit IV / 128-bit tag vector: valid ones exact both ways, invalid ones rejected', async () => {
    const tally = new Tally();
    for (const t of suiteTests) tally.record(t.result, t.tcId, await check(t));
    expect(tally.failures).toEqual([]);
    expect(tally.seen).toEqual({ valid: 39, invalid: 27, acceptable: 0 });
    expect(tally.passed).toEqual(tally.seen);
  });

  it('[M1] the wrappers refuse every vector outside the suite (other key or IV sizes) as misuse, with a RangeError', async () => {
    let refused = 0;
    for (const t of otherTests) {
      const opts = { iv: hex(t.iv), ciphertext: concatBytes(hex(t.ct), hex(t.tag)), aad: hex(t.aad) };
      await expect(aesGcmDecrypt(hex(t.key), opts)).rejects.toThrow(RangeError);
      refused++;
    }
    expect(refused).toBe(file.numberOfTests - suiteTests.length);
    expect(refused).toBe(250);
  });
});
