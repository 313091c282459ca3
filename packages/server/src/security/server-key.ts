// [S1] The server's RSA-PSS-3072 key: made on first start, kept in DATA_DIR/server-key.json (0600), never
// regenerated while the file exists (clients pin it). The server secret (prelogin fake salts [K3]) lives
// next to it.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import path from 'node:path';
import {
  exportPkcs8,
  exportSpki,
  formatFingerprint,
  fromB64u,
  generateRsaKeyPair,
  importPrivateKey,
  importPublicKey,
  rsaSign,
  sha256,
  toB64u,
} from '@parley/protocol';

export interface ServerKey {
  /** SPKI, b64u: what GET /api/ and the login answer serve. */
  readonly spki: string;
  readonly fingerprint: string;
  readonly publicKey: CryptoKey;
  sign(data: Uint8Array): Promise<Uint8Array>;
}

interface KeyFile {
  v: 1;
  pkcs8: string;
  spki: string;
}

function writeSecretFile(file: string, contents: string): void {
  // wx: never overwrite; a second process racing us fails here instead of replacing a pinned key.
  writeFileSync(file, contents, { mode: 0o600, flag: 'wx' });
}

/** A fresh key pair, serialised as it is stored (a file or a database setting). */
export async function newServerKeyJson(): Promise<string> {
  const pair = await generateRsaKeyPair('signing');
  const body: KeyFile = {
    v: 1,
    pkcs8: toB64u(await exportPkcs8(pair.privateKey)),
    spki: toB64u(await exportSpki(pair.publicKey)),
  };
  return JSON.stringify(body);
}

/** Opens a stored key pair; `where` names its place in the error a bad one gives at start. */
export async function openServerKey(json: string, where: string): Promise<ServerKey> {
  const parsed = JSON.parse(json) as KeyFile;
  const privateKey = await importPrivateKey('signing', fromB64u(parsed.pkcs8));
  const publicKey = await importPublicKey('signing', fromB64u(parsed.spki));
  if (!privateKey || !publicKey) throw new Error(`${where} does not hold an RSA-PSS key pair`);
  return {
    spki: parsed.spki,
    fingerprint: formatFingerprint(await sha256(fromB64u(parsed.spki))),
    publicKey,
    sign: (data) => rsaSign(privateKey, data),
  };
}

export async function loadServerKey(dataDir: string): Promise<ServerKey> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, 'server-key.json');
  if (!existsSync(file)) writeSecretFile(file, await newServerKeyJson());
  return openServerKey(readFileSync(file, 'utf8'), file);
}

/** 32 random bytes kept in DATA_DIR/server-secret (0600). */
export function loadServerSecret(dataDir: string): Uint8Array {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, 'server-secret');
  if (!existsSync(file)) writeSecretFile(file, toB64u(nodeRandomBytes(32)));
  const secret = fromB64u(readFileSync(file, 'utf8').trim());
  if (secret.length !== 32) throw new Error(`${file} must hold 32 bytes`);
  return secret;
}
