// Account key material [K1] [K2]: password-derived keys and wrapped private keys.
import { hkdfSync, pbkdf2Sync } from 'node:crypto';
import { describe, expect, it, beforeAll } from 'vitest';
import fc from 'fast-check';
import {
  DEFAULT_KDF,
  accountSecretsFrom,
  passwordBytes,
  pbkdf2Sha256,
  MIN_PBKDF2_ITERATIONS,
  accountKeys,
  aesGcmDecrypt,
  aesGcmEncrypt,
  deriveAccountSecrets,
  exportPkcs8,
  exportSpki,
  fromB64u,
  keyPairsMatch,
  generateUserKeyPairs,
  isSuiteRsaKey,
  openAccountKeys,
  parseWith,
  randomBytes,
  sealAccountKeys,
  toB64u,
  unwrapPrivateKey,
  wrapPrivateKey,
  type AccountSecrets,
  type UserKeyPairs,
} from '@parley/protocol';
import { toHex } from './wycheproof.ts';

// Property runs use a cheap iteration count through the same two steps deriveAccountSecrets takes (the
// password's bytes, then the HKDF split); deriveAccountSecrets itself refuses any count under the floor [K2].
const FAST_ITERATIONS = 1000;
const SALT = Uint8Array.from({ length: 16 }, (_, i) => i);
const fastSecrets = async (password: string, salt: Uint8Array): Promise<AccountSecrets> =>
  accountSecretsFrom(
    await pbkdf2Sha256({ password: passwordBytes(password), salt, iterations: FAST_ITERATIONS, length: 32 }),
  );

describe('deriveAccountSecrets', () => {
  it('[K2] the default KDF is PBKDF2-SHA256 at ≥ 600 000 iterations and is deterministic', async () => {
    expect(DEFAULT_KDF).toEqual({ name: 'PBKDF2-SHA256', iterations: MIN_PBKDF2_ITERATIONS });
    expect(MIN_PBKDF2_ITERATIONS).toBeGreaterThanOrEqual(600_000);
    const a = await deriveAccountSecrets('correct horse', SALT, DEFAULT_KDF);
    const b = await deriveAccountSecrets('correct horse', SALT, DEFAULT_KDF);
    expect(a.authKey).toHaveLength(32);
    expect(toHex(a.authKey)).toBe(toHex(b.authKey));
  });

  it('[K2] authKey = HKDF-SHA256(PBKDF2-HMAC-SHA256(NFKC(password), salt), "", "parley/auth/v1") (node:crypto oracle)', async () => {
    const master = pbkdf2Sync('caf\u00e9', SALT, MIN_PBKDF2_ITERATIONS, 32, 'sha256');
    const expected = new Uint8Array(hkdfSync('sha256', master, new Uint8Array(0), 'parley/auth/v1', 32));
    const { authKey } = await deriveAccountSecrets('cafe\u0301', SALT, DEFAULT_KDF);
    expect(toHex(authKey)).toBe(toHex(expected));
  });

  it('[K2] passwords equal under NFKC derive equal keys', async () => {
    const pairs: [string, string][] = [
      ['caf\u00e9', 'cafe\u0301'], // composed vs decomposed
      ['\ufb01le', 'file'], // the "fi" ligature
      ['\uff30\uff41\uff53\uff53', 'Pass'], // fullwidth letters
      ['\u212b', '\u00c5'], // ANGSTROM SIGN vs Å
    ];
    for (const [x, y] of pairs) {
      const [a, b] = await Promise.all([x, y].map((p) => fastSecrets(p, SALT)));
      expect(toHex(a!.authKey), `${x} / ${y}`).toBe(toHex(b!.authKey));
    }
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }), async (p) => {
        const a = await fastSecrets(p, SALT);
        const b = await fastSecrets(p.normalize('NFD'), SALT);
        expect(toHex(a.authKey)).toBe(toHex(b.authKey));
      }),
      { numRuns: 25 },
    );
  });

  it('[K2] different passwords or salts give different authKeys', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 16 }), fc.string({ maxLength: 16 }), async (p, q) => {
        fc.pre(p.normalize('NFKC') !== q.normalize('NFKC'));
        const [a, b] = await Promise.all([fastSecrets(p, SALT), fastSecrets(q, SALT)]);
        expect(toHex(a.authKey)).not.toBe(toHex(b.authKey));
      }),
      { numRuns: 25 },
    );
    const other = await fastSecrets('pw', randomBytes(16));
    expect(toHex(other.authKey)).not.toBe(toHex((await fastSecrets('pw', SALT)).authKey));
  });

  it('[K2] the authKey the server sees is not the wrapKey: it cannot open what wrapKey sealed', async () => {
    const s = await fastSecrets('pw', SALT);
    const iv = randomBytes(12);
    const aad = new Uint8Array(0);
    const sealed = await aesGcmEncrypt(s.wrapKey, { iv, plaintext: Uint8Array.of(1, 2, 3), aad });
    expect(await aesGcmDecrypt(s.authKey, { iv, ciphertext: sealed, aad })).toBeNull();
    expect(s.wrapKey.extractable).toBe(false);
  });

  it('[K2] a salt under 16 bytes is misuse (RangeError)', async () => {
    await expect(deriveAccountSecrets('pw', new Uint8Array(15), DEFAULT_KDF)).rejects.toThrow(RangeError);
  });

  it('[K2] refuses to derive below the iteration floor, whatever the caller was told', async () => {
    for (const iterations of [1, 1000, MIN_PBKDF2_ITERATIONS - 1, Number.NaN]) {
      const kdf = { name: 'PBKDF2-SHA256', iterations } as const;
      await expect(deriveAccountSecrets('pw', SALT, kdf), String(iterations)).rejects.toThrow(/below the minimum/);
    }
  });
});

describe('wrapped private keys', () => {
  let pairs: UserKeyPairs;
  let mine: AccountSecrets;
  let other: AccountSecrets;
  beforeAll(async () => {
    [pairs, mine, other] = await Promise.all([
      generateUserKeyPairs(),
      fastSecrets('mine', SALT),
      fastSecrets('other', SALT),
    ]);
  });

  it('[K1] user keys are RSA-3072, e = 65537, PSS for signing and OAEP for encryption', () => {
    expect(pairs.signing.publicKey.algorithm).toMatchObject({ name: 'RSA-PSS', modulusLength: 3072 });
    expect(pairs.encryption.publicKey.algorithm).toMatchObject({ name: 'RSA-OAEP', modulusLength: 3072 });
    const e = (pairs.signing.publicKey.algorithm as RsaHashedKeyAlgorithm).publicExponent;
    expect(Array.from(e)).toEqual([1, 0, 1]);
    expect(isSuiteRsaKey(pairs.signing.publicKey) && isSuiteRsaKey(pairs.encryption.privateKey)).toBe(true);
  });

  it('[K2] wrap then unwrap gives back the same private key', async () => {
    const publicKey = toB64u(await exportSpki(pairs.signing.publicKey));
    const opts = { userId: 'alice', purpose: 'signing', publicKey } as const;
    const wrapped = await wrapPrivateKey(mine.wrapKey, pairs.signing.privateKey, opts);
    const key = await unwrapPrivateKey(mine.wrapKey, wrapped, { ...opts, extractable: true });
    expect(key).not.toBeNull();
    expect(toHex(await exportPkcs8(key!))).toBe(toHex(await exportPkcs8(pairs.signing.privateKey)));
    // Non-extractable unless asked: the client holds keys it cannot leak by accident.
    expect((await unwrapPrivateKey(mine.wrapKey, wrapped, opts))?.extractable).toBe(false);
  });

  it('[K2] [K7] unwrap fails for another userId, purpose, public key, password or any tampering', async () => {
    const publicKey = toB64u(await exportSpki(pairs.encryption.publicKey));
    const opts = { userId: 'alice', purpose: 'encryption', publicKey } as const;
    const wrapped = await wrapPrivateKey(mine.wrapKey, pairs.encryption.privateKey, opts);
    expect(await unwrapPrivateKey(mine.wrapKey, wrapped, opts)).not.toBeNull();
    expect(await unwrapPrivateKey(mine.wrapKey, wrapped, { ...opts, userId: 'bob' })).toBeNull();
    // [K7] The server serving another public key beside the wrapped private key: the unwrap fails.
    const swapped = toB64u(await exportSpki(pairs.signing.publicKey));
    expect(await unwrapPrivateKey(mine.wrapKey, wrapped, { ...opts, publicKey: swapped })).toBeNull();
    expect(await unwrapPrivateKey(mine.wrapKey, wrapped, { ...opts, purpose: 'signing' })).toBeNull();
    expect(await unwrapPrivateKey(other.wrapKey, wrapped, opts)).toBeNull();
    expect(await unwrapPrivateKey(mine.wrapKey, wrapped.subarray(0, 27), opts)).toBeNull();
    await fc.assert(
      fc.asyncProperty(fc.nat(wrapped.length * 8 - 1), async (bit) => {
        const tampered = wrapped.slice();
        tampered[bit >> 3]! ^= 1 << (bit & 7);
        expect(await unwrapPrivateKey(mine.wrapKey, tampered, opts)).toBeNull();
      }),
      { numRuns: 40 },
    );
  });

  it('[K2] [K4] sealAccountKeys / openAccountKeys roundtrip; a wrong password or swapped blobs give null', async () => {
    const bundle = await sealAccountKeys('alice', pairs, mine.wrapKey);
    expect(parseWith(accountKeys, bundle).ok).toBe(true);
    const opened = await openAccountKeys('alice', bundle, mine.wrapKey, true);
    expect(opened).not.toBeNull();
    expect(toB64u(await exportPkcs8(opened!.encryption))).toBe(
      toB64u(await exportPkcs8(pairs.encryption.privateKey)),
    );
    expect(await openAccountKeys('alice', bundle, other.wrapKey)).toBeNull();
    expect(await openAccountKeys('mallory', bundle, mine.wrapKey)).toBeNull();
    const swapped = {
      signing: { ...bundle.signing, wrappedPrivate: bundle.encryption.wrappedPrivate },
      encryption: { ...bundle.encryption, wrappedPrivate: bundle.signing.wrappedPrivate },
    };
    expect(await openAccountKeys('alice', swapped, mine.wrapKey)).toBeNull();
    expect(fromB64u(bundle.signing.wrappedPrivate).length).toBeGreaterThan(12 + 16);
  });

  it('[K7] keyPairsMatch: true for the halves of the private keys, false for any other public key', async () => {
    const spki = async (k: CryptoKey) => toB64u(await exportSpki(k));
    const own = {
      signing: await spki(pairs.signing.publicKey),
      encryption: await spki(pairs.encryption.publicKey),
    };
    const privates = { signing: pairs.signing.privateKey, encryption: pairs.encryption.privateKey };
    expect(await keyPairsMatch(own, privates)).toBe(true);
    const stranger = await generateUserKeyPairs();
    expect(await keyPairsMatch({ ...own, signing: await spki(stranger.signing.publicKey) }, privates)).toBe(false);
    expect(await keyPairsMatch({ ...own, encryption: await spki(stranger.encryption.publicKey) }, privates)).toBe(
      false,
    );
    // Keys of the wrong purpose, and bytes that are no key at all.
    expect(await keyPairsMatch({ signing: own.encryption, encryption: own.signing }, privates)).toBe(false);
    expect(await keyPairsMatch({ ...own, signing: 'AAAA' }, privates)).toBe(false);
  });
});
