// [K9] Vault records open only for the user, id and version they were sealed for, under the key they were
// sealed with; the vault key is its own HKDF label of the master key.
import { describe, expect, it } from 'vitest';
import {
  accountSecretsFrom,
  importAesKey,
  openVaultRecord,
  randomBytes,
  sealVaultRecord,
  toB64u,
  vaultRecord,
} from '../src/index.ts';

describe('[K9] vault records', () => {
  it('open for their user, id and version only', async () => {
    const key = await importAesKey(randomBytes(32));
    const value = { chainKey: toB64u(randomBytes(32)), index: 3 };
    const r = await sealVaultRecord(key, { user: 'alice', id: 's:room:bob:sess', version: 2, value });
    expect(vaultRecord.safeParse(r).success).toBe(true);
    expect(await openVaultRecord(key, 'alice', r)).toEqual(value);
    expect(await openVaultRecord(key, 'bob', r)).toBeNull(); // moved to another user
    expect(await openVaultRecord(key, 'alice', { ...r, id: 'pins' })).toBeNull(); // moved to another id
    expect(await openVaultRecord(key, 'alice', { ...r, version: 3 })).toBeNull(); // renumbered
    expect(await openVaultRecord(await importAesKey(randomBytes(32)), 'alice', r)).toBeNull(); // another key
  });

  it('the vault key is derived apart from the login secret and the wrap key', async () => {
    const master = randomBytes(32);
    const a = await accountSecretsFrom(master);
    const b = await accountSecretsFrom(master);
    expect(a.vaultKey).toEqual(b.vaultKey);
    expect(a.vaultKey).toHaveLength(32);
    expect(toB64u(a.vaultKey)).not.toBe(toB64u(a.authKey));
    expect(toB64u((await accountSecretsFrom(randomBytes(32))).vaultKey)).not.toBe(toB64u(a.vaultKey));
  });
});
