// Known-answer tests for the key-derivation and MAC primitives of [K2] [K3] [M1]: HKDF-SHA256, PBKDF2-HMAC-SHA256
// and HMAC-SHA256, through hkdfSha256, pbkdf2Sha256, hmacSha256 and hmacSha256Verify.
import { describe, expect, it } from 'vitest';
import { equalBytes, hkdfSha256, hmacSha256, hmacSha256Verify, pbkdf2Sha256 } from '@parley/protocol';
import { hex, loadVectors, Tally, toHex, type WycheproofResult } from './wycheproof.ts';

interface HkdfGroup {
  tests: {
    tcId: number;
    ikm: string;
    salt: string;
    info: string;
    size: number;
    okm: string;
    result: WycheproofResult;
  }[];
}
interface PbkdfGroup {
  tests: {
    tcId: number;
    password: string;
    salt: string;
    iterationCount: number;
    dkLen: number;
    dk: string;
    result: WycheproofResult;
  }[];
}
interface MacGroup {
  keySize: number;
  tagSize: number;
  tests: { tcId: number; key: string; msg: string; tag: string; result: WycheproofResult }[];
}

describe('Wycheproof HKDF-SHA256', () => {
  it('[K2] valid vectors give the exact OKM; an output over 255 × 32 bytes is refused', async () => {
    const tally = new Tally();
    for (const t of loadVectors<HkdfGroup>('hkdf_sha256_test.json').testGroups.flatMap((g) => g.tests)) {
      const opts = { ikm: hex(t.ikm), salt: hex(t.salt), info: hex(t.info), length: t.size };
      // The wrapper returns bytes or throws: an impossible length is misuse (STYLE 6), so "rejected" = throws.
      const okm = await hkdfSha256(opts).catch(() => null);
      const ok = t.result === 'valid' ? okm !== null && toHex(okm) === t.okm : okm === null;
      tally.record(t.result, t.tcId, ok);
    }
    expect(tally.failures).toEqual([]);
    expect(tally.seen).toEqual({ valid: 83, invalid: 3, acceptable: 0 });
    expect(tally.passed).toEqual(tally.seen);
  });
});

describe('Wycheproof PBKDF2-HMAC-SHA256', () => {
  // Every vector runs, including the 80 000-iteration one: the whole file takes well under a second.
  it('[K2] every vector (1 to 80 000 iterations, non-UTF-8 passwords, odd lengths) gives the exact key', async () => {
    const tally = new Tally();
    for (const t of loadVectors<PbkdfGroup>('pbkdf2_hmacsha256_test.json').testGroups.flatMap((g) => g.tests)) {
      const opts = { password: hex(t.password), salt: hex(t.salt), iterations: t.iterationCount, length: t.dkLen };
      const dk = await pbkdf2Sha256(opts).catch(() => null);
      tally.record(t.result, t.tcId, t.result === 'valid' ? dk !== null && toHex(dk) === t.dk : dk === null);
    }
    expect(tally.failures).toEqual([]);
    expect(tally.seen).toEqual({ valid: 60, invalid: 0, acceptable: 0 });
    expect(tally.passed).toEqual(tally.seen);
  });
});

describe('Wycheproof HMAC-SHA256', () => {
  const groups = loadVectors<MacGroup>('hmac_sha256_test.json').testGroups;

  it('[M1] full 256-bit tags: valid ones computed exactly and verified, modified ones rejected', async () => {
    const tally = new Tally();
    for (const g of groups.filter((x) => x.tagSize === 256)) {
      for (const t of g.tests) {
        const [key, msg, tag] = [hex(t.key), hex(t.msg), hex(t.tag)];
        const mac = await hmacSha256(key, msg);
        const verified = await hmacSha256Verify(key, tag, msg);
        const ok = t.result === 'valid' ? toHex(mac) === t.tag && verified : !verified && toHex(mac) !== t.tag;
        tally.record(t.result, t.tcId, ok);
      }
    }
    expect(tally.failures).toEqual([]);
    expect(tally.seen).toEqual({ valid: 33, invalid: 54, acceptable: 0 });
    expect(tally.passed).toEqual(tally.seen);
  });

  // Parley never *verifies* a truncated MAC, so hmacSha256Verify must refuse every 128-bit tag, even a correct
  // one. It does *derive* with a truncated HMAC (the fake prelogin salt of [K3] is HMAC(...)[0..16]), so the
  // truncated vectors still check that the first 16 bytes of hmacSha256 are the expected ones.
  it('[K3] 128-bit tags: the HMAC prefix matches valid tags only, and hmacSha256Verify refuses all truncated tags', async () => {
    const tally = new Tally();
    for (const g of groups.filter((x) => x.tagSize === 128)) {
      for (const t of g.tests) {
        const [key, msg, tag] = [hex(t.key), hex(t.msg), hex(t.tag)];
        const prefixMatches = equalBytes((await hmacSha256(key, msg)).subarray(0, 16), tag);
        const refused = !(await hmacSha256Verify(key, tag, msg));
        tally.record(t.result, t.tcId, refused && (t.result === 'valid' ? prefixMatches : !prefixMatches));
      }
    }
    expect(tally.failures).toEqual([]);
    expect(tally.seen).toEqual({ valid: 33, invalid: 54, acceptable: 0 });
    expect(tally.passed).toEqual(tally.seen);
  });
});
