// Accounts [K1] [K2] [K4] [K5] [S1]: keys are made and unwrapped here, in the client; the server gets only the
// derived login secret and the wrapped private keys.
import { z } from 'zod';
import {
  DEFAULT_KDF,
  MIN_PBKDF2_ITERATIONS,
  deriveAccountSecrets,
  exportPkcs8,
  fromB64u,
  generateUserKeyPairs,
  importAesKey,
  importPrivateKey,
  keyPairsMatch,
  loginResponse,
  meResponse,
  openAccountKeys,
  parseWith,
  preloginResponse,
  randomBytes,
  sealAccountKeys,
  toB64u,
  tryFromB64u,
  wrapPrivateKey,
  type AccountKeys,
  type LoginResponse,
  type PreloginResponse,
  type Purpose,
} from '@parley/protocol';
import { badResponse, type Api, type ApiSession } from './api.ts';
import { storeKey, type Ctx, type Me } from './context.ts';
import { passwordProblem } from './password-policy.ts';
import { ParleyError, isParleyError } from './errors.ts';
import type { Pins } from './pins.ts';
import type { Vault } from './vault.ts';
import { normalizeUser } from './rooms.ts';

export type Progress = (step: string) => void;

interface StoredSession extends ApiSession {
  user: string;
}
/** Private keys as CryptoKeys (stores that keep them, non-extractable) or pkcs8 b64u (JSON-only stores). */
interface StoredAccount {
  user: string;
  bundle: AccountKeys;
  signing: CryptoKey | string;
  encryption: CryptoKey | string;
  /** [K9] The vault key: a non-extractable CryptoKey, or raw b64u in JSON-only stores. */
  vault: CryptoKey | string;
}

/** Refuses a new password the policy refuses (password-policy.ts), before anything is derived from it. */
export function checkPassword(password: string, username: string): void {
  const problem = passwordProblem(password, username);
  if (problem) throw new ParleyError('INVALID_INPUT', problem);
}

/**
 * [K8] The salt and KDF for a user, refused before anything is derived from the password when the server asks
 * for fewer iterations than the protocol's floor: a cheap derivation is a cheap guess at the password.
 */
export async function fetchPrelogin(api: Api, user: string): Promise<PreloginResponse> {
  const answer = await api.post('/api/prelogin', { username: user }, z.unknown());
  const iterations = (answer as { kdf?: { iterations?: unknown } } | null)?.kdf?.iterations;
  if (typeof iterations === 'number' && !(iterations >= MIN_PBKDF2_ITERATIONS)) {
    throw new ParleyError(
      'KDF_TOO_WEAK',
      `the server offered a key derivation of ${iterations} iterations, below the minimum of ${MIN_PBKDF2_ITERATIONS}; your password was not used`,
    );
  }
  const parsed = parseWith(preloginResponse, answer);
  if (!parsed.ok) throw badResponse('/api/prelogin', parsed.error);
  return parsed.value;
}

const ownKeysMismatch = () =>
  new ParleyError('OWN_KEYS_MISMATCH', "the server's copy of your public keys does not match your private keys");

/** A 401 from login or password change means the login secret (the password) did not match. */
function wrongPassword(e: unknown): never {
  if (isParleyError(e) && e.status === 401) {
    throw new ParleyError('WRONG_PASSWORD', 'wrong user name or password', 401, { cause: e });
  }
  throw e;
}

export class Account {
  me: Me | null = null;

  constructor(
    private readonly ctx: Ctx,
    private readonly pins: Pins,
    private readonly vault: Vault,
  ) {}

  async register(username: string, password: string, progress: Progress): Promise<void> {
    const user = normalizeUser(username);
    checkPassword(password, user);
    progress('Generating keys');
    const pairs = await generateUserKeyPairs();
    progress('Deriving key');
    const salt = randomBytes(16);
    const secrets = await deriveAccountSecrets(password, salt, DEFAULT_KDF);
    progress('Sealing keys');
    const keys = await sealAccountKeys(user, pairs, secrets.wrapKey);
    progress('Creating account');
    const body = {
      username: user,
      salt: toB64u(salt),
      kdf: DEFAULT_KDF,
      authKey: toB64u(secrets.authKey),
      keys,
      session: this.ctx.api.auth,
    };
    const answer = await this.ctx.api.post('/api/register', body, loginResponse);
    // [K7] The keys just made are ours; the answer's copy of them is not read.
    await this.signedIn(
      { ...answer, keys },
      { signing: pairs.signing.privateKey, encryption: pairs.encryption.privateKey },
      secrets.vaultKey,
    );
  }

  async login(username: string, password: string, progress: Progress): Promise<void> {
    const user = normalizeUser(username);
    progress('Fetching parameters');
    const pre = await fetchPrelogin(this.ctx.api, user);
    progress('Deriving key');
    const secrets = await deriveAccountSecrets(password, fromB64u(pre.salt), pre.kdf);
    progress('Signing in');
    const body = { username: user, authKey: toB64u(secrets.authKey), session: this.ctx.api.auth };
    const answer = await this.ctx.api.post('/api/login', body, loginResponse).catch(wrongPassword);
    progress('Unlocking keys');
    // The server accepted the login secret, so the password is right: keys that do not open, or public keys
    // that are not the halves of the private ones, are keys the server swapped [K7].
    // JSON-only stores keep pkcs8, so only then are the keys unwrapped extractable.
    const keys = await openAccountKeys(user, answer.keys, secrets.wrapKey, !this.ctx.store.persistsCryptoKeys);
    const publicKeys = { signing: answer.keys.signing.public, encryption: answer.keys.encryption.public };
    if (!keys || !(await keyPairsMatch(publicKeys, keys))) throw ownKeysMismatch();
    await this.signedIn(answer, keys, secrets.vaultKey);
    progress('Restoring keys');
    // [K9] What the account's other devices (and earlier sign-ins) kept: sessions, pins, verified flags.
    await this.vault.pull();
  }

  async resume(): Promise<boolean> {
    const session = await this.ctx.store.get<StoredSession>(storeKey.session);
    const account = await this.ctx.store.get<StoredAccount>(storeKey.account);
    if (!session || !account || session.user !== account.user) return false;
    const signing = await loadKey('signing', account.signing);
    const encryption = await loadKey('encryption', account.encryption);
    const vault = account.vault === undefined ? null : await loadVaultKey(account.vault);
    if (!signing || !encryption || !vault) return false;
    this.ctx.api.setSession(session);
    try {
      await this.ctx.api.get('/api/me', meResponse);
    } catch (e) {
      if (!isParleyError(e) || e.status !== 401) throw e;
      this.ctx.api.setSession(null);
      await this.ctx.store.delete(storeKey.session);
      return false;
    }
    this.me = { user: account.user, signing, encryption, bundle: account.bundle, vault };
    return true;
  }

  async logout(): Promise<void> {
    try {
      if (this.ctx.api.session) await this.ctx.api.send('POST', '/api/logout');
    } finally {
      this.ctx.api.setSession(null);
      this.me = null;
      await this.ctx.store.clear();
    }
  }

  /** [K5] re-wraps both private keys under the new password; the server ends the other sessions. */
  async changePassword(current: string, next: string): Promise<void> {
    const me = this.ctx.me();
    checkPassword(next, me.user);
    const pre = await fetchPrelogin(this.ctx.api, me.user);
    const cur = await deriveAccountSecrets(current, fromB64u(pre.salt), pre.kdf);
    const opened = await openAccountKeys(me.user, me.bundle, cur.wrapKey, true);
    if (!opened) throw new ParleyError('WRONG_PASSWORD', 'wrong current password');
    const salt = randomBytes(16);
    const nxt = await deriveAccountSecrets(next, salt, DEFAULT_KDF);
    const rewrap = async (purpose: Purpose, key: CryptoKey) => ({
      public: me.bundle[purpose].public,
      wrappedPrivate: toB64u(
        await wrapPrivateKey(nxt.wrapKey, key, { userId: me.user, purpose, publicKey: me.bundle[purpose].public }),
      ),
    });
    const keys = {
      signing: await rewrap('signing', opened.signing),
      encryption: await rewrap('encryption', opened.encryption),
    };
    // [K5] [K9] The vault moves to the new password's key in the same transaction as the keys.
    const nextVault = await importAesKey(nxt.vaultKey);
    const vault = await this.vault.resealAll(nextVault);
    const body = {
      authKey: toB64u(cur.authKey),
      salt: toB64u(salt),
      kdf: DEFAULT_KDF,
      newAuthKey: toB64u(nxt.authKey),
      keys,
      vault,
    };
    await this.ctx.api.send('POST', '/api/password', body).catch(wrongPassword);
    await this.vault.resealed(vault);
    const stored = await storedVaultKey(nxt.vaultKey, this.ctx.store.persistsCryptoKeys);
    const account = await this.ctx.store.get<StoredAccount>(storeKey.account);
    if (account) await this.ctx.store.set(storeKey.account, { ...account, bundle: keys, vault: stored });
    this.me = { ...me, bundle: keys, vault: nextVault };
  }

  private async signedIn(
    answer: LoginResponse,
    keys: { signing: CryptoKey; encryption: CryptoKey },
    vaultKey: Uint8Array,
  ): Promise<void> {
    // [K7] An own pin is never overwritten: keys that differ from it, even proven ones, refuse the sign-in.
    await this.pins.pinOwn(answer.user, {
      signing: answer.keys.signing.public,
      encryption: answer.keys.encryption.public,
    });
    await this.pins.pinServer(answer.serverKey.spki);
    if (this.ctx.api.auth === 'bearer' && !answer.token) throw badResponse('/api/login', 'no session token');
    const session: StoredSession = {
      user: answer.user,
      csrfToken: answer.csrfToken,
      ...(answer.token === undefined ? {} : { token: answer.token }),
    };
    const signing = await storedKey('signing', keys.signing, this.ctx.store.persistsCryptoKeys);
    const encryption = await storedKey('encryption', keys.encryption, this.ctx.store.persistsCryptoKeys);
    const vault = await storedVaultKey(vaultKey, this.ctx.store.persistsCryptoKeys);
    const account: StoredAccount = { user: answer.user, bundle: answer.keys, signing, encryption, vault };
    await this.ctx.store.set(storeKey.account, account);
    await this.ctx.store.set(storeKey.session, session);
    this.ctx.api.setSession(session);
    const use = async (p: Purpose, k: CryptoKey | string) => (typeof k === 'string' ? loadKey(p, k) : k);
    const me = { signing: await use('signing', signing), encryption: await use('encryption', encryption) };
    if (!me.signing || !me.encryption) throw new ParleyError('BAD_RESPONSE', 'could not load the account keys');
    this.me = {
      user: answer.user,
      signing: me.signing,
      encryption: me.encryption,
      bundle: answer.keys,
      vault: await importAesKey(vaultKey),
    };
  }
}

/** [K9] The vault key as stored: a non-extractable CryptoKey where the store holds keys, else raw b64u. */
async function storedVaultKey(raw: Uint8Array, persistsCryptoKeys: boolean): Promise<CryptoKey | string> {
  return persistsCryptoKeys ? importAesKey(raw) : toB64u(raw);
}

async function loadVaultKey(key: CryptoKey | string): Promise<CryptoKey | null> {
  if (typeof key !== 'string') return key;
  const raw = tryFromB64u(key);
  return raw && raw.length === 32 ? importAesKey(raw) : null;
}

/** What goes into the store: a non-extractable CryptoKey where the store can hold one, else pkcs8 b64u. */
async function storedKey(
  purpose: Purpose,
  key: CryptoKey,
  persistsCryptoKeys: boolean,
): Promise<CryptoKey | string> {
  if (!persistsCryptoKeys) return toB64u(await exportPkcs8(key));
  if (!key.extractable) return key;
  const again = await importPrivateKey(purpose, await exportPkcs8(key), false);
  if (!again) throw new RangeError(`storedKey: the ${purpose} key does not re-import`);
  return again;
}

async function loadKey(purpose: Purpose, key: CryptoKey | string): Promise<CryptoKey | null> {
  if (typeof key !== 'string') return key;
  return importPrivateKey(purpose, fromB64u(key), false);
}
