// scrypt over the client's authKey [K2]: the server stores a slow hash of a secret it never sees in clear.
import { scrypt as scryptCb, timingSafeEqual, randomBytes, createHmac } from 'node:crypto';
import { fromB64u, toB64u, utf8 } from '@parley/protocol';

const N = 1 << 15;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
// 128 * N * r = 32 MiB; leave headroom.
const MAXMEM = 64 * 1024 * 1024;

function scrypt(secret: Uint8Array, salt: Uint8Array, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(secret, salt, KEY_BYTES, { N: n, r, p, maxmem: MAXMEM }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

export async function hashAuthKey(authKey: Uint8Array): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(authKey, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${toB64u(salt)}$${toB64u(key)}`;
}

export async function verifyAuthKey(authKey: Uint8Array, stored: string): Promise<boolean> {
  const [name, n, r, p, salt, hash] = stored.split('$');
  if (name !== 'scrypt' || !salt || !hash) return false;
  const expected = fromB64u(hash);
  const key = await scrypt(authKey, fromB64u(salt), Number(n), Number(r), Number(p));
  return timingSafeEqual(key, expected);
}

/** Spent on unknown users so that a login for a name that does not exist costs the same time [K3]. */
let dummyHash: Promise<string> | undefined;
export async function burnVerifyTime(authKey: Uint8Array): Promise<void> {
  dummyHash ??= hashAuthKey(new Uint8Array(32));
  await verifyAuthKey(authKey, await dummyHash);
}

/** [K3] A deterministic fake salt for a name with no account: HMAC(serverSecret, "prelogin" ‖ name)[0..16]. */
export function fakeSalt(serverSecret: Uint8Array, username: string): string {
  const mac = createHmac('sha256', serverSecret).update(utf8('prelogin')).update(utf8(username)).digest();
  return toB64u(mac.subarray(0, 16));
}
