// Account key material [K1] [K2]: keys are made and unwrapped only in the client.
import { toB64u, fromB64u, utf8 } from '../bytes.ts';
import { canonical } from '../canonical.ts';
import type { AccountKeys, KdfParams } from '../wire.ts';
import { MIN_PBKDF2_ITERATIONS } from '../wire.ts';
import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  exportPkcs8,
  exportSpki,
  generateRsaKeyPair,
  hkdfSha256,
  importAesKey,
  importPrivateKey,
  pbkdf2Sha256,
  type Purpose,
} from './primitives.ts';
import { randomBytes, concatBytes } from '../bytes.ts';

export const DEFAULT_KDF: KdfParams = { name: 'PBKDF2-SHA256', iterations: MIN_PBKDF2_ITERATIONS };

export interface AccountSecrets {
  /** Sent to the server as the login secret; it never learns the password or the wrapKey. */
  authKey: Uint8Array;
  wrapKey: CryptoKey;
}

export async function deriveAccountSecrets(
  password: string,
  salt: Uint8Array,
  kdf: KdfParams,
): Promise<AccountSecrets> {
  if (salt.length < 16) throw new RangeError('salt must be at least 16 bytes');
  const masterKey = await pbkdf2Sha256({
    password: utf8(password.normalize('NFKC')),
    salt,
    iterations: kdf.iterations,
    length: 32,
  });
  const empty = new Uint8Array(0);
  const authKey = await hkdfSha256({ ikm: masterKey, salt: empty, info: utf8('parley/auth/v1'), length: 32 });
  const wrapRaw = await hkdfSha256({ ikm: masterKey, salt: empty, info: utf8('parley/wrap/v1'), length: 32 });
  return { authKey, wrapKey: await importAesKey(wrapRaw) };
}

const wrapAad = (userId: string, purpose: Purpose) => canonical('wrap', [userId, purpose]);

export async function wrapPrivateKey(
  wrapKey: CryptoKey,
  privateKey: CryptoKey,
  opts: { userId: string; purpose: Purpose },
): Promise<Uint8Array> {
  const iv = randomBytes(12);
  const pkcs8 = await exportPkcs8(privateKey);
  const ct = await aesGcmEncrypt(wrapKey, { iv, plaintext: pkcs8, aad: wrapAad(opts.userId, opts.purpose) });
  return concatBytes(iv, ct);
}

/** Null when the wrapped key does not open under this wrapKey for this user and purpose. */
export async function unwrapPrivateKey(
  wrapKey: CryptoKey,
  wrapped: Uint8Array,
  opts: { userId: string; purpose: Purpose; extractable?: boolean },
): Promise<CryptoKey | null> {
  if (wrapped.length < 12 + 16) return null;
  const pkcs8 = await aesGcmDecrypt(wrapKey, {
    iv: wrapped.subarray(0, 12),
    ciphertext: wrapped.subarray(12),
    aad: wrapAad(opts.userId, opts.purpose),
  });
  return pkcs8 ? importPrivateKey(opts.purpose, pkcs8, opts.extractable ?? false) : null;
}

export interface UserKeyPairs {
  signing: CryptoKeyPair;
  encryption: CryptoKeyPair;
}

export async function generateUserKeyPairs(): Promise<UserKeyPairs> {
  const [signing, encryption] = await Promise.all([
    generateRsaKeyPair('signing'),
    generateRsaKeyPair('encryption'),
  ]);
  return { signing, encryption };
}

/** The account's key bundle as the server stores it: public SPKI and private keys wrapped under wrapKey. */
export async function sealAccountKeys(
  userId: string,
  pairs: UserKeyPairs,
  wrapKey: CryptoKey,
): Promise<AccountKeys> {
  const part = async (purpose: Purpose, pair: CryptoKeyPair) => ({
    public: toB64u(await exportSpki(pair.publicKey)),
    wrappedPrivate: toB64u(await wrapPrivateKey(wrapKey, pair.privateKey, { userId, purpose })),
  });
  return { signing: await part('signing', pairs.signing), encryption: await part('encryption', pairs.encryption) };
}

/** Opens the bundle from the login answer; null when the wrapKey (the password) is wrong. */
export async function openAccountKeys(
  userId: string,
  keys: AccountKeys,
  wrapKey: CryptoKey,
  extractable = false,
): Promise<{ signing: CryptoKey; encryption: CryptoKey } | null> {
  const signing = await unwrapPrivateKey(wrapKey, fromB64u(keys.signing.wrappedPrivate), {
    userId,
    purpose: 'signing',
    extractable,
  });
  const encryption = await unwrapPrivateKey(wrapKey, fromB64u(keys.encryption.wrappedPrivate), {
    userId,
    purpose: 'encryption',
    extractable,
  });
  return signing && encryption ? { signing, encryption } : null;
}
