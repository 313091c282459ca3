// A room of many members, for the large-room test and the rotation benchmark. The accounts are written
// straight into the server's store: a registration costs the server a 32 MiB scrypt on purpose [K2], and a
// thousand of them would be the whole run. They share a few key pairs and never sign in. The room's admin then
// invites them through the SDK, as a person would, a few at a time.
import {
  DEFAULT_KDF,
  importAesKey,
  randomBytes,
  sealAccountKeys,
  toB64u,
  type UserKeyPairs,
} from '@parley/protocol';
import type { ParleyClient } from '@parley/sdk';
import type { Store } from '../../packages/server/src/storage/store.ts';

/** Writes `names` as accounts whose public keys are `pairs` (round robin); their private keys are unusable. */
export async function addAccounts(store: Store, names: readonly string[], pairs: readonly UserKeyPairs[]) {
  const wrapKey = await importAesKey(randomBytes(32));
  for (const [i, id] of names.entries()) {
    const keys = await sealAccountKeys(id, pairs[i % pairs.length]!, wrapKey);
    const created = await store.createUser(
      { id, salt: toB64u(randomBytes(16)), kdf: DEFAULT_KDF, authHash: 'none: this account never signs in', keys },
      Date.now(),
    );
    if (!created) throw new Error(`account ${id} exists already`);
  }
}

/** `admin` invites every one of `names` into `room`, `parallel` at a time. */
export async function inviteAll(admin: ParleyClient, room: string, names: readonly string[], parallel = 8) {
  let next = 0;
  const worker = async () => {
    while (next < names.length) await admin.invite(room, names[next++]!);
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}
