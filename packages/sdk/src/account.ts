// Accounts [K1] [K2] [K4] [K5] [S1]: keys are made and unwrapped here, in the client; the server gets only the
// derived login secret and the wrapped private keys.
import {
  DEFAULT_KDF,
  deriveAccountSecrets,
  exportPkcs8,
  fromB64u,
  generateUserKeyPairs,
  importPrivateKey,
  loginResponse,
  openAccountKeys,
  randomBytes,
  sealAccountKeys,
  toB64u,
  wrapPrivateKey,
  type AccountKeys,
  type LoginResponse,
  type Purpose,
} from '@parley/protocol';
import type { ApiSession } from './api.ts';
import { storeKey, type Ctx, type Me } from './context.ts';
import { ParleyError, isParleyError } from './errors.ts';
import type { Pins } from './pins.ts';
import { normalizeUser } from './rooms.ts';
import { meAnswer, preloginAnswer } from './schemas.ts';

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
}

export const MIN_PASSWORD_LENGTH = 8;
const COMMON_PASSWORDS = new Set([
  'password',
  '12345678',
  '123456789',
  'qwertyui',
  'iloveyou',
  'password1',
  'abcd1234',
]);

export function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new ParleyError(
      'INVALID_INPUT',
      `password too short: at least ${MIN_PASSWORD_LENGTH} characters (15 recommended)`,
    );
  }
  if (COMMON_PASSWORDS.has(password.toLowerCase())) {
    throw new ParleyError('INVALID_INPUT', 'this password is too common: choose another');
  }
}

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
  ) {}

  async register(username: string, password: string, progress: Progress): Promise<void> {
    const user = normalizeUser(username);
    checkPassword(password);
    progress('Generating keys');
    const pairs = await generateUserKeyPairs();
    progress('Deriving key');
    const salt = randomBytes(16);
    const secrets = await deriveAccountSecrets(password, salt, DEFAULT_KDF);
    progress('Sealing keys');
    const keys = await sealAccountKeys(user, pairs, secrets.wrapKey);
    progress('Creating account');
    const body = { username: user, salt: toB64u(salt), kdf: DEFAULT_KDF, authKey: toB64u(secrets.authKey), keys };
    const answer = await this.ctx.api.post('/api/register', body, loginResponse);
    await this.signedIn(answer, { signing: pairs.signing.privateKey, encryption: pairs.encryption.privateKey });
  }

  async login(username: string, password: string, progress: Progress): Promise<void> {
    const user = normalizeUser(username);
    progress('Fetching parameters');
    const pre = await this.ctx.api.post('/api/prelogin', { username: user }, preloginAnswer);
    progress('Deriving key');
    const secrets = await deriveAccountSecrets(password, fromB64u(pre.salt), pre.kdf);
    progress('Signing in');
    const answer = await this.ctx.api
      .post('/api/login', { username: user, authKey: toB64u(secrets.authKey) }, loginResponse)
      .catch(wrongPassword);
    progress('Unlocking keys');
    // JSON-only stores keep pkcs8, so only then are the keys unwrapped extractable.
    const keys = await openAccountKeys(user, answer.keys, secrets.wrapKey, !this.ctx.store.persistsCryptoKeys);
    if (!keys) throw new ParleyError('WRONG_PASSWORD', 'wrong user name or password: the keys do not open');
    await this.signedIn(answer, keys);
  }

  async resume(): Promise<boolean> {
    const session = await this.ctx.store.get<StoredSession>(storeKey.session);
    const account = await this.ctx.store.get<StoredAccount>(storeKey.account);
    if (!session || !account || session.user !== account.user) return false;
    const signing = await loadKey('signing', account.signing);
    const encryption = await loadKey('encryption', account.encryption);
    if (!signing || !encryption) return false;
    this.ctx.api.setSession(session);
    try {
      await this.ctx.api.get('/api/me', meAnswer);
    } catch (e) {
      if (!isParleyError(e) || e.status !== 401) throw e;
      this.ctx.api.setSession(null);
      await this.ctx.store.delete(storeKey.session);
      return false;
    }
    this.me = { user: account.user, signing, encryption, bundle: account.bundle };
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
    checkPassword(next);
    const pre = await this.ctx.api.post('/api/prelogin', { username: me.user }, preloginAnswer);
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
    const body = {
      authKey: toB64u(cur.authKey),
      salt: toB64u(salt),
      kdf: DEFAULT_KDF,
      newAuthKey: toB64u(nxt.authKey),
      keys,
    };
    await this.ctx.api.send('POST', '/api/password', body).catch(wrongPassword);
    const account = await this.ctx.store.get<StoredAccount>(storeKey.account);
    if (account) await this.ctx.store.set(storeKey.account, { ...account, bundle: keys });
    this.me = { ...me, bundle: keys };
  }

  private async signedIn(
    answer: LoginResponse,
    keys: { signing: CryptoKey; encryption: CryptoKey },
  ): Promise<void> {
    await this.pins.pinServer(answer.serverKey.spki);
    const session: StoredSession = { user: answer.user, token: answer.token, csrfToken: answer.csrfToken };
    const signing = await storedKey('signing', keys.signing, this.ctx.store.persistsCryptoKeys);
    const encryption = await storedKey('encryption', keys.encryption, this.ctx.store.persistsCryptoKeys);
    const account: StoredAccount = { user: answer.user, bundle: answer.keys, signing, encryption };
    await this.ctx.store.set(storeKey.account, account);
    await this.ctx.store.set(storeKey.session, session);
    this.ctx.api.setSession(session);
    const use = async (p: Purpose, k: CryptoKey | string) => (typeof k === 'string' ? loadKey(p, k) : k);
    const me = { signing: await use('signing', signing), encryption: await use('encryption', encryption) };
    if (!me.signing || !me.encryption) throw new ParleyError('BAD_RESPONSE', 'could not load the account keys');
    this.me = { user: answer.user, signing: me.signing, encryption: me.encryption, bundle: answer.keys };
    await this.pins.pinOwn(answer.user, {
      signing: answer.keys.signing.public,
      encryption: answer.keys.encryption.public,
    });
  }
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
