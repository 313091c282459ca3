// [S1] One server identity for every process of a deployment. With SERVER_KEY_STORE=file the key and the
// prelogin secret [K3] are DATA_DIR files (one machine, or a shared volume); with =database they live in the
// settings table, created by whichever process starts first: claimSetting is first-writer-wins, so a race
// between two starting processes ends with both holding the same key, never two keys.
import { randomBytes } from 'node:crypto';
import { fromB64u, toB64u } from '@parley/protocol';
import type { Config } from '../config.ts';
import type { Store } from '../storage/store.ts';
import { loadServerKey, loadServerSecret, newServerKeyJson, openServerKey, type ServerKey } from './server-key.ts';

export interface Identity {
  serverKey: ServerKey;
  serverSecret: Uint8Array;
}

export const KEY_SETTING = 'server-key';
export const SECRET_SETTING = 'server-secret';

async function keyFromDatabase(store: Store): Promise<ServerKey> {
  const stored =
    (await store.readSetting(KEY_SETTING)) ?? (await store.claimSetting(KEY_SETTING, await newServerKeyJson()));
  return openServerKey(stored, `the ${KEY_SETTING} setting`);
}

async function secretFromDatabase(store: Store): Promise<Uint8Array> {
  const secret = fromB64u(await store.claimSetting(SECRET_SETTING, toB64u(randomBytes(32))));
  if (secret.length !== 32) throw new Error(`the ${SECRET_SETTING} setting must hold 32 bytes`);
  return secret;
}

export async function loadIdentity(config: Config, store: Store): Promise<Identity> {
  switch (config.identity) {
    case 'file':
      return { serverKey: await loadServerKey(config.dataDir), serverSecret: loadServerSecret(config.dataDir) };
    case 'database':
      return { serverKey: await keyFromDatabase(store), serverSecret: await secretFromDatabase(store) };
  }
}
