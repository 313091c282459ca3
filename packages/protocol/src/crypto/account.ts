// Account key material [K1] [K2]: keys are made and unwrapped only in the client.
import { toB64u, fromB64u, tryFromB64u, utf8, equalBytes } from '../bytes.ts';
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
  importPublicKey,
  pbkdf2Sha256,
  rsaDecrypt,
  rsaEncrypt,
  rsaSign,
  rsaVerify,
  type Purpose,
} from './primitives.ts';
import { randomBytes, concatBytes } from '../bytes.ts';

export const DEFAULT_KDF: KdfParams = { name: 'PBKDF2-SHA256', iterations: MIN_PBKDF2_ITERATIONS };

export interface AccountSecrets {
  /** Sent to the server as the login secret; it never learns the password or the wrapKey. */
  authKey: Uint8Array;
  wrapKey: CryptoKey;
  /** [K9] The account vault's AES-256-GCM key, raw: the client keeps it (as a key, or as bytes in a file). */
  vaultKey: Uint8Array;
}

/** The password as PBKDF2 reads it: NFKC, so one password typed on two keyboards is one password. */
export const passwordBytes = (password: string): Uint8Array => utf8(password.normalize('NFKC'));

export async function deriveAccountSecrets(
  password: string,
  salt: Uint8Array,
  kdf: KdfParams,
): Promise<AccountSecrets> {
  if (salt.length < 16) throw new RangeError('salt must be at least 16 bytes');
  // [K2] A floor the caller cannot talk its way under: a server asking for fewer iterations wants a cheap guess.
  if (!Number.isSafeInteger(kdf.iterations) || kdf.iterations < MIN_PBKDF2_ITERATIONS)
    throw new RangeError(`PBKDF2 iterations ${kdf.iterations} are below the minimum of ${MIN_PBKDF2_ITERATIONS}`);
  const masterKey = await pbkdf2Sha256({
    password: passwordBytes(password),
    salt,
    iterations: kdf.iterations,
    length: 32,
  });
  return accountSecretsFrom(masterKey);
}

/** authKey, wrapKey and vaultKey from the PBKDF2 master key: three HKDF labels, so none reveals another. */
export async function accountSecretsFrom(masterKey: Uint8Array): Promise<AccountSecrets> {
  const empty = new Uint8Array(0);
  const derive = (label: string) => hkdfSha256({ ikm: masterKey, salt: empty, info: utf8(label), length: 32 });
  const [authKey, wrapRaw, vaultKey] = await Promise.all([
    derive('parley/auth/v1'),
    derive('parley/wrap/v1'),
    derive('parley/vault/v1'),
  ]);
  return { authKey, wrapKey: await importAesKey(wrapRaw), vaultKey };
}

/**
 * [K7] The wrap binds the user, the purpose and the public key (SPKI, b64u) the private key belongs to: a
 * server that serves other public keys beside the user's wrapped private keys makes the unwrap fail.
 */
const wrapAad = (o: { userId: string; purpose: Purpose; publicKey: string }) =>
  canonical('wrap', [o.userId, o.purpose, fromB64u(o.publicKey)]);

export async function wrapPrivateKey(
  wrapKey: CryptoKey,
  privateKey: CryptoKey,
  opts: { userId: string; purpose: Purpose; publicKey: string },
): Promise<Uint8Array> {
  const iv = randomBytes(12);
  const pkcs8 = await exportPkcs8(privateKey);
  const ct = await aesGcmEncrypt(wrapKey, { iv, plaintext: pkcs8, aad: wrapAad(opts) });
  return concatBytes(iv, ct);
}

/** Null when the wrapped key does not open under this wrapKey for this user, purpose and public key. */
export async function unwrapPrivateKey(
  wrapKey: CryptoKey,
  wrapped: Uint8Array,
  opts: { userId: string; purpose: Purpose; publicKey: string; extractable?: boolean },
): Promise<CryptoKey | null> {
  if (wrapped.length < 12 + 16) return null;
  const pkcs8 = await aesGcmDecrypt(wrapKey, {
    iv: wrapped.subarray(0, 12),
    ciphertext: wrapped.subarray(12),
    aad: wrapAad(opts),
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
  const part = async (purpose: Purpose, pair: CryptoKeyPair) => {
    const publicKey = toB64u(await exportSpki(pair.publicKey));
    const wrapped = await wrapPrivateKey(wrapKey, pair.privateKey, { userId, purpose, publicKey });
    return { public: publicKey, wrappedPrivate: toB64u(wrapped) };
  };
  return { signing: await part('signing', pairs.signing), encryption: await part('encryption', pairs.encryption) };
}

/**
 * Opens the bundle from the login answer; null when the wrapKey (the password) is wrong or, after a login the
 * server accepted, when the bundle is not the one this password sealed (its public keys swapped [K7]).
 */
export async function openAccountKeys(
  userId: string,
  keys: AccountKeys,
  wrapKey: CryptoKey,
  extractable = false,
): Promise<{ signing: CryptoKey; encryption: CryptoKey } | null> {
  const signing = await unwrapPrivateKey(wrapKey, fromB64u(keys.signing.wrappedPrivate), {
    userId,
    purpose: 'signing',
    publicKey: keys.signing.public,
    extractable,
  });
  const encryption = await unwrapPrivateKey(wrapKey, fromB64u(keys.encryption.wrappedPrivate), {
    userId,
    purpose: 'encryption',
    publicKey: keys.encryption.public,
    extractable,
  });
  return signing && encryption ? { signing, encryption } : null;
}

/**
 * [K7] Whether the public keys are the halves of these private keys: a signature made with the private signing
 * key verifies under the public one, and a secret encrypted to the public encryption key opens with the private
 * one. The wrap AAD already binds the public keys; this proves it again with the keys themselves, so no served
 * key is taken as one's own on the word of the server.
 */
export async function keyPairsMatch(
  publicKeys: { signing: string; encryption: string },
  privateKeys: { signing: CryptoKey; encryption: CryptoKey },
): Promise<boolean> {
  const signingSpki = tryFromB64u(publicKeys.signing);
  const encryptionSpki = tryFromB64u(publicKeys.encryption);
  if (!signingSpki || !encryptionSpki) return false;
  const [verifyKey, encryptKey] = await Promise.all([
    importPublicKey('signing', signingSpki),
    importPublicKey('encryption', encryptionSpki),
  ]);
  if (!verifyKey || !encryptKey) return false;
  const challenge = randomBytes(32);
  const label = canonical('own-key-proof', []);
  const [signature, sealed] = await Promise.all([
    rsaSign(privateKeys.signing, concatBytes(label, challenge)),
    rsaEncrypt(encryptKey, challenge, label),
  ]);
  const [verified, opened] = await Promise.all([
    rsaVerify(verifyKey, signature, concatBytes(label, challenge)),
    rsaDecrypt(privateKeys.encryption, sealed, label),
  ]);
  return verified && !!opened && equalBytes(opened, challenge);
}
