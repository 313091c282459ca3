// Thin, typed wrappers over WebCrypto (globalThis.crypto.subtle) for exactly the suite of DESIGN §2–4.
// Untrusted input returns a result (false / null); misuse (a wrong key length) throws a RangeError.
const subtle = () => globalThis.crypto.subtle;

/** BufferSource that TypeScript's DOM lib accepts for any Uint8Array. */
const buf = (b: Uint8Array): Uint8Array<ArrayBuffer> => b as Uint8Array<ArrayBuffer>;

export const RSA_BITS = 3072;
export const PSS_SALT_BYTES = 32;
const PUBLIC_EXPONENT = Uint8Array.of(1, 0, 1);
const PSS = { name: 'RSA-PSS', hash: 'SHA-256' } as const;
const OAEP = { name: 'RSA-OAEP', hash: 'SHA-256' } as const;

function expectLength(name: string, bytes: Uint8Array, length: number): void {
  if (bytes.length !== length) throw new RangeError(`${name} must be ${length} bytes, got ${bytes.length}`);
}

export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest('SHA-256', buf(data)));
}

/** An HMAC-SHA256 signing key, imported once for several MACs under the same key (a ratchet step makes two). */
export function importHmacKey(raw: Uint8Array): Promise<CryptoKey> {
  return subtle().importKey('raw', buf(raw), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
}

export async function hmacSha256(key: Uint8Array | CryptoKey, data: Uint8Array): Promise<Uint8Array> {
  const k = key instanceof Uint8Array ? await importHmacKey(key) : key;
  return new Uint8Array(await subtle().sign('HMAC', k, buf(data)));
}

export async function hmacSha256Verify(key: Uint8Array, mac: Uint8Array, data: Uint8Array): Promise<boolean> {
  const k = await subtle().importKey('raw', buf(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  return subtle().verify('HMAC', k, buf(mac), buf(data));
}

export async function hkdfSha256(opts: {
  ikm: Uint8Array;
  salt: Uint8Array;
  info: Uint8Array;
  length: number;
}): Promise<Uint8Array> {
  const k = await subtle().importKey('raw', buf(opts.ikm), 'HKDF', false, ['deriveBits']);
  const bits = await subtle().deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: buf(opts.salt), info: buf(opts.info) },
    k,
    opts.length * 8,
  );
  return new Uint8Array(bits);
}

export async function pbkdf2Sha256(opts: {
  password: Uint8Array;
  salt: Uint8Array;
  iterations: number;
  length: number;
}): Promise<Uint8Array> {
  const k = await subtle().importKey('raw', buf(opts.password), 'PBKDF2', false, ['deriveBits']);
  const bits = await subtle().deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: buf(opts.salt), iterations: opts.iterations },
    k,
    opts.length * 8,
  );
  return new Uint8Array(bits);
}

// ---- AES-256-GCM, 96-bit IV, 128-bit tag ----
export type AesKey = CryptoKey | Uint8Array;

async function aesKey(key: AesKey, usage: KeyUsage): Promise<CryptoKey> {
  if (!(key instanceof Uint8Array)) return key;
  expectLength('AES-256 key', key, 32);
  return subtle().importKey('raw', buf(key), 'AES-GCM', false, [usage]);
}

/** Non-extractable; `usages` narrows it (a reader's message key only decrypts). */
export async function importAesKey(
  raw: Uint8Array,
  usages: KeyUsage[] = ['encrypt', 'decrypt'],
): Promise<CryptoKey> {
  expectLength('AES-256 key', raw, 32);
  return subtle().importKey('raw', buf(raw), 'AES-GCM', false, usages);
}

/** Returns ciphertext ‖ tag. */
export async function aesGcmEncrypt(
  key: AesKey,
  opts: { iv: Uint8Array; plaintext: Uint8Array; aad: Uint8Array },
): Promise<Uint8Array> {
  expectLength('AES-GCM iv', opts.iv, 12);
  const ct = await subtle().encrypt(
    { name: 'AES-GCM', iv: buf(opts.iv), additionalData: buf(opts.aad), tagLength: 128 },
    await aesKey(key, 'encrypt'),
    buf(opts.plaintext),
  );
  return new Uint8Array(ct);
}

/** Null when the tag does not verify (tampered ciphertext, wrong key, wrong AAD). */
export async function aesGcmDecrypt(
  key: AesKey,
  opts: { iv: Uint8Array; ciphertext: Uint8Array; aad: Uint8Array },
): Promise<Uint8Array | null> {
  expectLength('AES-GCM iv', opts.iv, 12);
  const k = await aesKey(key, 'decrypt');
  try {
    const pt = await subtle().decrypt(
      { name: 'AES-GCM', iv: buf(opts.iv), additionalData: buf(opts.aad), tagLength: 128 },
      k,
      buf(opts.ciphertext),
    );
    return new Uint8Array(pt);
  } catch {
    return null;
  }
}

// ---- RSA-PSS-3072 (SHA-256, salt 32) and RSA-OAEP-3072 (SHA-256) ----
export type Purpose = 'signing' | 'encryption';

export async function generateRsaKeyPair(purpose: Purpose): Promise<CryptoKeyPair> {
  const alg = purpose === 'signing' ? PSS : OAEP;
  const usages: KeyUsage[] = purpose === 'signing' ? ['sign', 'verify'] : ['encrypt', 'decrypt'];
  // Extractable so the private key can be wrapped [K2]; callers re-import it non-extractable for use.
  return subtle().generateKey({ ...alg, modulusLength: RSA_BITS, publicExponent: PUBLIC_EXPONENT }, true, usages);
}

export async function exportSpki(key: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await subtle().exportKey('spki', key));
}

export async function exportPkcs8(key: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await subtle().exportKey('pkcs8', key));
}

/** Null when the bytes are not an RSA SPKI WebCrypto accepts. */
export async function importPublicKey(purpose: Purpose, spki: Uint8Array): Promise<CryptoKey | null> {
  try {
    const alg = purpose === 'signing' ? PSS : OAEP;
    return await subtle().importKey('spki', buf(spki), alg, true, [purpose === 'signing' ? 'verify' : 'encrypt']);
  } catch {
    return null;
  }
}

/** True when an imported RSA key has the suite's shape [K1]: 3072-bit modulus, e = 65537. Check wire keys with it. */
export function isSuiteRsaKey(key: CryptoKey): boolean {
  const alg = key.algorithm as Partial<RsaHashedKeyAlgorithm>;
  const e = alg.publicExponent;
  const exponentOk = e?.length === PUBLIC_EXPONENT.length && e.every((b, i) => b === PUBLIC_EXPONENT[i]);
  return alg.modulusLength === RSA_BITS && exponentOk;
}

export async function importPrivateKey(
  purpose: Purpose,
  pkcs8: Uint8Array,
  extractable = false,
): Promise<CryptoKey | null> {
  try {
    const alg = purpose === 'signing' ? PSS : OAEP;
    return await subtle().importKey('pkcs8', buf(pkcs8), alg, extractable, [
      purpose === 'signing' ? 'sign' : 'decrypt',
    ]);
  } catch {
    return null;
  }
}

export async function rsaSign(privateKey: CryptoKey, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(
    await subtle().sign({ name: 'RSA-PSS', saltLength: PSS_SALT_BYTES }, privateKey, buf(data)),
  );
}

export async function rsaVerify(publicKey: CryptoKey, signature: Uint8Array, data: Uint8Array): Promise<boolean> {
  try {
    return await subtle().verify(
      { name: 'RSA-PSS', saltLength: PSS_SALT_BYTES },
      publicKey,
      buf(signature),
      buf(data),
    );
  } catch {
    return false;
  }
}

export async function rsaEncrypt(
  publicKey: CryptoKey,
  plaintext: Uint8Array,
  label?: Uint8Array,
): Promise<Uint8Array> {
  const params = label ? { name: 'RSA-OAEP', label: buf(label) } : { name: 'RSA-OAEP' };
  return new Uint8Array(await subtle().encrypt(params, publicKey, buf(plaintext)));
}

/** Null when decryption fails (wrong key, tampered, bad padding). */
export async function rsaDecrypt(
  privateKey: CryptoKey,
  ciphertext: Uint8Array,
  label?: Uint8Array,
): Promise<Uint8Array | null> {
  try {
    const params = label ? { name: 'RSA-OAEP', label: buf(label) } : { name: 'RSA-OAEP' };
    return new Uint8Array(await subtle().decrypt(params, privateKey, buf(ciphertext)));
  } catch {
    return null;
  }
}
