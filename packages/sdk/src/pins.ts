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
import { z } from 'zod';
import { storeKey, vaultId, type Ctx } from './context.ts';
import { ParleyError, isParleyError } from './errors.ts';
import { userKeysResponse } from '@parley/protocol';
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

const spki = z.string().min(1).max(2048);
const pinRecord = z.object({
  signing: spki,
  encryption: spki,
  verified: z.boolean(),
  changed: z.object({ signing: spki, encryption: spki }).optional(),
});

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
    if (!pinned) {
      await this.ctx.store.set(storeKey.serverPin, spki);
      this.ctx.vault.queueWrite(vaultId.serverPin, spki);
    }
  }

  /**
   * [K9] The server key the account pinned (from the vault): a sign-in that was served another key is refused,
   * as on the device that pinned it.
   */
  async adoptServer(value: unknown): Promise<void> {
    if (typeof value !== 'string') return;
    await this.pinServer(value);
  }

  /**
   * [K9] A pin the account keeps (from the vault), merged with this device's. Same keys: verified on either
   * means verified. Other keys: the account's pin holds and this device's keys become a key change, unless
   * this device already shows the account's keys as the change (it pinned earlier than the account's copy).
   */
  async adopt(user: string, value: unknown): Promise<void> {
    const parsed = pinRecord.safeParse(value);
    // [K7] The own pin is proven at every sign-in, never taken from elsewhere.
    if (!parsed.success || user === this.ctx.me().user) return;
    const remote: Pin = parsed.data;
    const local = await this.ctx.store.get<Pin>(storeKey.pin(user));
    let merged: Pin;
    if (!local) merged = remote;
    else if (sameKeys(local, remote)) {
      merged = { ...local, verified: local.verified || remote.verified };
      const changed = local.changed ?? remote.changed;
      if (changed) merged.changed = changed;
    } else if (remote.verified || !(local.changed && sameKeys(local.changed, remote))) {
      merged = remote.verified
        ? remote
        : { ...remote, changed: { signing: local.signing, encryption: local.encryption } };
      if (!remote.verified) this.ctx.emit('keychange', { user });
    } else return;
    if (local && JSON.stringify(local) === JSON.stringify(merged)) return;
    await this.ctx.store.set(storeKey.pin(user), merged);
    if (JSON.stringify(merged) !== JSON.stringify(remote)) this.ctx.vault.queueWrite(vaultId.pin(user), merged);
    this.forget(user);
  }

  /** [K9] This device's pin of `user`, as the vault keeps it (null: none). */
  async vaultRecord(user: string): Promise<unknown> {
    return (await this.ctx.store.get<Pin>(storeKey.pin(user))) ?? null;
  }

  /** Writes a pin here and queues it for the account vault [K9]. */
  private async keep(user: string, pin: Pin): Promise<void> {
    await this.ctx.store.set(storeKey.pin(user), pin);
    this.ctx.vault.queueWrite(vaultId.pin(user), pin);
  }

  /** The pinned server key (SPKI, b64u), as the vault keeps it [K9]. */
  async serverPin(): Promise<string | null> {
    return (await this.ctx.store.get<string>(storeKey.serverPin)) ?? null;
  }

  async serverKey(): Promise<CryptoKey | null> {
    if (this.serverKeyCache) return this.serverKeyCache;
    const spki = await this.ctx.store.get<string>(storeKey.serverPin);
    const bytes = spki ? tryFromB64u(spki) : null;
    this.serverKeyCache = bytes ? await importPublicKey('signing', bytes) : null;
    return this.serverKeyCache;
  }

  /**
   * [K7] Pins the signed-in user's own keys, which the caller has proven against the private keys. An own pin is
   * never overwritten: other keys for oneself refuse the sign-in.
   */
  async pinOwn(user: string, keys: PublicKeysB64): Promise<void> {
    const pin = await this.ctx.store.get<Pin>(storeKey.pin(user));
    if (pin && !sameKeys(pin, keys)) {
      throw new ParleyError(
        'OWN_KEYS_MISMATCH',
        'your keys differ from the ones this device pinned for you: refusing to continue',
      );
    }
    // Not kept in the vault: every sign-in proves the own keys again, and the vault's copy is never read.
    if (!pin || !pin.verified) await this.ctx.store.set(storeKey.pin(user), { ...keys, verified: true });
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
      served = await this.ctx.api.get(`/api/users/${encodeURIComponent(user)}/keys`, userKeysResponse);
    } catch (e) {
      if (isParleyError(e) && e.status === 404) return pin ?? null;
      // Server unreachable or failing: the pin is what we trust anyway.
      if (pin) return pin;
      throw e;
    }
    const keys = { signing: served.signing, encryption: served.encryption };
    if (!pin) {
      const fresh: Pin = { ...keys, verified: false };
      await this.keep(user, fresh);
      return fresh;
    }
    if (sameKeys(pin, keys)) return pin;
    const alreadyWarned = pin.changed && sameKeys(pin.changed, keys);
    const updated: Pin = { ...pin, changed: keys };
    await this.keep(user, updated);
    if (!alreadyWarned) this.ctx.emit('keychange', { user });
    return updated;
  }

  /**
   * [K6] What a person compares: the fingerprint and safety number of the pinned keys and, after a key change,
   * those of the keys the server serves now.
   */
  async contact(user: string): Promise<ContactInfo> {
    const pin = await this.refresh(user);
    if (!pin) throw new ParleyError('NOT_FOUND', `no such user: ${user}`, 404);
    return this.contactFromPin(user, pin);
  }

  private async numbers(
    user: string,
    keys: PublicKeysB64,
  ): Promise<{ fingerprint: string; safetyNumber: string | null }> {
    const me = this.ctx.me();
    const mine = await this.ctx.store.get<Pin>(storeKey.pin(me.user));
    const fp = formatFingerprint(await fingerprint(user, keys));
    const sn =
      user === me.user || !mine
        ? null
        : await safetyNumber({ userId: me.user, keys: mine }, { userId: user, keys });
    return { fingerprint: fp, safetyNumber: sn };
  }

  /**
   * [K6] Marks verified exactly the keys whose safety number the person was shown: the pinned keys, or after a
   * key change the new ones. The keys are the ones this device holds, not fetched again here (only a user never
   * seen before is fetched, and pinned only if the number matches), so the server cannot swap them between the
   * display and the click. Any other number is SAFETY_NUMBER_MISMATCH and changes nothing.
   */
  async verify(user: string, shown: string): Promise<ContactInfo> {
    if (user === this.ctx.me().user)
      throw new ParleyError('INVALID_INPUT', 'there is no safety number with yourself');
    const pin = (await this.ctx.store.get<Pin>(storeKey.pin(user))) ?? (await this.refresh(user));
    if (!pin) throw new ParleyError('NOT_FOUND', `no such user: ${user}`, 404);
    const digits = (n: string | null) => (n ?? '').replace(/\D/g, '');
    const wanted = digits(shown);
    const current = await this.numbers(user, pin);
    const next = pin.changed ? await this.numbers(user, pin.changed) : null;
    let keys: PublicKeysB64;
    if (next && wanted.length > 0 && digits(next.safetyNumber) === wanted) keys = pin.changed!;
    else if (wanted.length > 0 && digits(current.safetyNumber) === wanted) keys = pin;
    else {
      throw new ParleyError(
        'SAFETY_NUMBER_MISMATCH',
        `the safety number does not match ${user}'s keys: nothing was marked verified`,
      );
    }
    const verified: Pin = { signing: keys.signing, encryption: keys.encryption, verified: true };
    // Verifying the old keys keeps the warning about the new ones.
    if (keys === pin && pin.changed) verified.changed = pin.changed;
    await this.keep(user, verified);
    this.forget(user);
    return this.contactFromPin(user, verified);
  }

  private async contactFromPin(user: string, pin: Pin): Promise<ContactInfo> {
    const info: ContactInfo = {
      user,
      ...(await this.numbers(user, pin)),
      verified: pin.verified,
      keyChanged: !!pin.changed,
    };
    if (!pin.changed) return info;
    const next = await this.numbers(user, pin.changed);
    return { ...info, newFingerprint: next.fingerprint, newSafetyNumber: next.safetyNumber };
  }

  /** Logout, or another user signs in: the pins and verified flags read from the store are forgotten with it. */
  forgetVerified(): void {
    this.epoch += 1;
    this.verified.clear();
    this.cache.clear();
    this.pending.clear();
    this.serverKeyCache = null;
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
