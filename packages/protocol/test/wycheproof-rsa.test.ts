// Known-answer tests for RSA-PSS (SHA-256, MGF1-SHA-256, salt 32) [K1] [M4] and RSA-OAEP (SHA-256,
// MGF1-SHA-256) [M2], through importPublicKey / rsaVerify and importPrivateKey / rsaDecrypt.
import { describe, expect, it } from 'vitest';
import {
  importPrivateKey,
  importPublicKey,
  isSuiteRsaKey,
  rsaDecrypt,
  rsaVerify,
  PSS_SALT_BYTES,
} from '@parley/protocol';
import { hex, loadVectors, Tally, toHex, type WycheproofResult } from './wycheproof.ts';

interface PssGroup {
  keySize: number;
  sha: string;
  mgfSha: string;
  sLen: number;
  publicKeyDer: string;
  tests: { tcId: number; msg: string; sig: string; result: WycheproofResult }[];
}
interface OaepGroup {
  keySize: number;
  sha: string;
  mgfSha: string;
  privateKeyPkcs8: string;
  tests: { tcId: number; msg: string; ct: string; label: string; result: WycheproofResult }[];
}

async function runPss(fileName: string): Promise<Tally> {
  const tally = new Tally();
  for (const g of loadVectors<PssGroup>(fileName).testGroups) {
    expect([g.sha, g.mgfSha, g.sLen]).toEqual(['SHA-256', 'SHA-256', PSS_SALT_BYTES]);
    const key = await importPublicKey('signing', hex(g.publicKeyDer));
    for (const t of g.tests) {
      // A key WebCrypto cannot import can only belong to a vector that must be rejected.
      const accepted = key !== null && (await rsaVerify(key, hex(t.sig), hex(t.msg)));
      const ok = t.result === 'valid' ? accepted : t.result === 'invalid' ? !accepted : true;
      tally.record(t.result, t.tcId, ok);
    }
  }
  return tally;
}

async function runOaep(fileName: string): Promise<Tally> {
  const tally = new Tally();
  for (const g of loadVectors<OaepGroup>(fileName).testGroups) {
    expect([g.sha, g.mgfSha]).toEqual(['SHA-256', 'SHA-256']);
    const key = await importPrivateKey('encryption', hex(g.privateKeyPkcs8));
    for (const t of g.tests) {
      const plain = key === null ? null : await rsaDecrypt(key, hex(t.ct), hex(t.label));
      const exact = plain !== null && toHex(plain) === t.msg;
      const ok = t.result === 'valid' ? exact : t.result === 'invalid' ? plain === null : exact || plain === null;
      tally.record(t.result, t.tcId, ok);
    }
  }
  return tally;
}

describe('Wycheproof RSA-PSS', () => {
  it.each([['rsa_pss_3072_sha256_mgf1_32_test.json'], ['rsa_pss_2048_sha256_mgf1_32_test.json']])(
    '[K1] [M4] %s: valid signatures verify, modified / PKCS#1 v1.5 ones are rejected',
    async (fileName) => {
      const tally = await runPss(fileName);
      expect(tally.failures).toEqual([]);
      expect(tally.seen).toEqual({ valid: 63, invalid: 45, acceptable: 0 });
      expect(tally.passed).toEqual(tally.seen);
    },
  );

  it('[K1] the 3072-bit vector key imports as an RSA-PSS key; isSuiteRsaKey refuses 2048; a truncated SPKI gives null, not a throw', async () => {
    const g = loadVectors<PssGroup>('rsa_pss_3072_sha256_mgf1_32_test.json').testGroups[0]!;
    const key = await importPublicKey('signing', hex(g.publicKeyDer));
    expect(key?.algorithm).toMatchObject({ name: 'RSA-PSS', modulusLength: 3072 });
    expect(isSuiteRsaKey(key!)).toBe(true);
    const small = loadVectors<PssGroup>('rsa_pss_2048_sha256_mgf1_32_test.json').testGroups[0]!;
    expect(isSuiteRsaKey((await importPublicKey('signing', hex(small.publicKeyDer)))!)).toBe(false);
    expect(await importPublicKey('signing', hex(g.publicKeyDer).subarray(1))).toBeNull();
  });
});

describe('Wycheproof RSA-OAEP', () => {
  it.each([['rsa_oaep_3072_sha256_mgf1sha256_test.json'], ['rsa_oaep_2048_sha256_mgf1sha256_test.json']])(
    '[M2] %s: valid ciphertexts decrypt exactly (with their label), bad padding / ciphertexts give null',
    async (fileName) => {
      const tally = await runOaep(fileName);
      expect(tally.failures).toEqual([]);
      expect(tally.seen).toEqual({ valid: 18, invalid: 19, acceptable: 0 });
      expect(tally.passed).toEqual(tally.seen);
    },
  );
});
