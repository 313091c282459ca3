// Trust on first use [K6] [S1]: the first keys the server serves for a user (and its own key) are pinned;
// later different keys raise `keychange` and are NOT used until the person verifies them.
import {
  fingerprint,
  formatFingerprint,
  importPublicKey,
  safetyNumber,
  tryFromB64u,
  type PublicKeysB64,
} from '@parley/protocol';
import { storeKey, type Ctx } from './context.ts';
import { ParleyError, isParleyError } from './errors.ts';
import { userKeysAnswer } from './schemas.ts';
import type { ContactInfo } from './types.ts';

export interface Pin extends PublicKeysB64 {
  verified: boolean;
  /** Keys the server served later that differ from the pinned ones. */
  changed?: PublicKeysB64;
}

export interface UserKeys {
  signing: CryptoKey;
  encryption: CryptoKey;
}

const sameKeys = (a: PublicKeysB64, b: PublicKeysB64) => a.signing === b.signing && a.encryption === b.encryption;

async function importKeys(keys: PublicKeysB64): Promise<UserKeys | null> {
  const s = tryFromB64u(keys.signing);
  const e = tryFromB64u(keys.encryption);
  if (!s || !e) return null;
  const signing = await importPublicKey('signing', s);
  const encryption = await importPublicKey('encryption', e);
  return signing && encryption ? { signing, encryption } : null;
}

export class Pins {
  private readonly cache = new Map<string, UserKeys>();
  private readonly pending = new Map<string, Promise<UserKeys | null>>();
  private readonly verified = new Map<string, Promise<boolean>>();
  private epoch = 0;
  private serverKeyCache: CryptoKey | null = null;

  constructor(private readonly ctx: Ctx) {}

  /** Pins the server key on first sight; a different key later is refused [S1]. */
  async pinServer(spki: string): Promise<void> {
    const pinned = await this.ctx.store.get<string>(storeKey.serverPin);
    if (pinned && pinned !== spki) {
      throw new ParleyError(
        'SERVER_KEY_CHANGED',
        'the server key differs from the pinned one: refusing to continue',
      );
    }
    if (!pinned) await this.ctx.store.set(storeKey.serverPin, spki);
  }

  async serverKey(): Promise<CryptoKey | null> {
    if (this.serverKeyCache) return this.serverKeyCache;
    const spki = await this.ctx.store.get<string>(storeKey.serverPin);
    const bytes = spki ? tryFromB64u(spki) : null;
    this.serverKeyCache = bytes ? await importPublicKey('signing', bytes) : null;
    return this.serverKeyCache;
  }

  async pinOwn(user: string, keys: PublicKeysB64): Promise<void> {
    const pin = await this.ctx.store.get<Pin>(storeKey.pin(user));
    if (!pin || !sameKeys(pin, keys)) await this.ctx.store.set(storeKey.pin(user), { ...keys, verified: true });
    this.forget(user);
  }

  /**
   * The pinned keys of a user (pinning them now if first seen); null when the server knows no such user.
   * Concurrent callers for one user share one fetch and one import.
   */
  keys(user: string): Promise<UserKeys | null> {
    const cached = this.cache.get(user);
    if (cached) return Promise.resolve(cached);
    let pending = this.pending.get(user);
    if (!pending) {
      pending = this.load(user).finally(() => this.pending.delete(user));
      this.pending.set(user, pending);
    }
    return pending;
  }

  private async load(user: string): Promise<UserKeys | null> {
    const epoch = this.epoch;
    const pin = await this.refresh(user);
    const keys = pin ? await importKeys(pin) : null;
    // A pin changed meanwhile (verify, own login): do not cache keys read before it.
    if (keys && epoch === this.epoch) this.cache.set(user, keys);
    return keys;
  }

  private forget(user: string): void {
    this.epoch += 1;
    this.cache.delete(user);
    this.verified.delete(user);
    this.pending.delete(user);
  }

  /** Fetches the served keys, compares them with the pin and warns on a change. */
  async refresh(user: string): Promise<Pin | null> {
    const key = storeKey.pin(user);
    const pin = await this.ctx.store.get<Pin>(key);
    let served: PublicKeysB64;
    try {
      served = await this.ctx.api.get(`/api/users/${encodeURIComponent(user)}/keys`, userKeysAnswer);
    } catch (e) {
      if (isParleyError(e) && e.status === 404) return pin ?? null;
      // Server unreachable or failing: the pin is what we trust anyway.
      if (pin) return pin;
      throw e;
    }
    const keys = { signing: served.signing, encryption: served.encryption };
    if (!pin) {
      const fresh: Pin = { ...keys, verified: false };
      await this.ctx.store.set(key, fresh);
      return fresh;
    }
    if (sameKeys(pin, keys)) return pin;
    const alreadyWarned = pin.changed && sameKeys(pin.changed, keys);
    const updated: Pin = { ...pin, changed: keys };
    await this.ctx.store.set(key, updated);
    if (!alreadyWarned) this.ctx.emit('keychange', { user });
    return updated;
  }

  async contact(user: string): Promise<ContactInfo> {
    const pin = await this.refresh(user);
    if (!pin) throw new ParleyError('NOT_FOUND', `no such user: ${user}`, 404);
    const me = this.ctx.me();
    const mine = await this.ctx.store.get<Pin>(storeKey.pin(me.user));
    const fp = formatFingerprint(await fingerprint(user, pin));
    const sn =
      user === me.user || !mine
        ? null
        : await safetyNumber({ userId: me.user, keys: mine }, { userId: user, keys: pin });
    return { user, fingerprint: fp, safetyNumber: sn, verified: pin.verified, keyChanged: !!pin.changed };
  }

  /** Marks the current keys verified; after a key change this accepts the new keys. */
  async verify(user: string): Promise<void> {
    const pin = await this.refresh(user);
    if (!pin) throw new ParleyError('NOT_FOUND', `no such user: ${user}`, 404);
    const keys = pin.changed ?? pin;
    await this.ctx.store.set(storeKey.pin(user), {
      signing: keys.signing,
      encryption: keys.encryption,
      verified: true,
    });
    this.forget(user);
  }

  /** Logout: the verified flags read from the store are forgotten with it. */
  forgetVerified(): void {
    this.epoch += 1;
    this.verified.clear();
  }

  /** Whether the user's pinned keys are verified; read from the store once until the pin changes here. */
  isVerified(user: string): Promise<boolean> {
    const kept = this.verified.get(user);
    if (kept) return kept;
    const epoch = this.epoch;
    const flag = this.ctx.store.get<Pin>(storeKey.pin(user)).then((pin) => pin?.verified ?? false);
    // Not kept when a pin changed meanwhile (verify, own login), nor when the read failed.
    flag.then(
      () => epoch === this.epoch && this.verified.set(user, flag),
      () => undefined,
    );
    return flag;
  }
}
