// [K9] The account vault: what a client must not lose (sender-key sessions, pins), kept on the server
// encrypted under vaultKey = HKDF-SHA256(masterKey, "parley/vault/v1"). Each record's AAD binds the user, the
// record id and its version, so the server can neither read a record, forge one, move one to another user or
// id, nor serve an older version under a newer number (docs/protocol.md [V1]–[V4]).
import { fromB64u, randomBytes, toB64u, utf8 } from '../bytes.ts';
import { canonical } from '../canonical.ts';
import { PROTOCOL_VERSION, type VaultRecord } from '../wire.ts';
import { aesGcmDecrypt, aesGcmEncrypt } from './primitives.ts';

const vaultAad = (user: string, id: string, version: number) =>
  canonical('vault', [PROTOCOL_VERSION, user, id, version]);

/** Seals `value` (JSON) as version `version` of the record `id` of `user`'s vault. */
export async function sealVaultRecord(
  vaultKey: CryptoKey,
  o: { user: string; id: string; version: number; value: unknown },
): Promise<VaultRecord> {
  const iv = randomBytes(12);
  const plaintext = utf8(JSON.stringify(o.value));
  const ct = await aesGcmEncrypt(vaultKey, { iv, plaintext, aad: vaultAad(o.user, o.id, o.version) });
  return { id: o.id, version: o.version, iv: toB64u(iv), ciphertext: toB64u(ct) };
}

/**
 * The value of a record of `user`'s vault, or null when it does not open under this key for this user, id and
 * version (forged, moved from another user or id, renumbered, or sealed under another password's key).
 */
export async function openVaultRecord(vaultKey: CryptoKey, user: string, r: VaultRecord): Promise<unknown> {
  const plaintext = await aesGcmDecrypt(vaultKey, {
    iv: fromB64u(r.iv),
    ciphertext: fromB64u(r.ciphertext),
    aad: vaultAad(user, r.id, r.version),
  });
  if (!plaintext) return null;
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext)) as unknown;
  } catch {
    return null;
  }
}
