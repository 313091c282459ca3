/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- these suites read,
   forge and return parsed JSON answers; typing each one would hide what the attack changes. */
// Trust I (issue 21): what the server says about the user herself is checked before it is believed. Each test
// rewrites the real server's answers the way a lying server would and names the rule that stops it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN_PBKDF2_ITERATIONS } from '@parley/protocol';
import { MemoryKeyStore, type ParleyClient } from '../../packages/sdk/src/index.ts';
import { adversary, PASSWORD, registered, type Adversary } from './adversary.ts';

let a: Adversary;
let alice: ParleyClient;
let bob: ParleyClient;
let carol: ParleyClient;

beforeAll(async () => {
  a = await adversary();
  [alice, bob, carol] = await registered(a, ['alice', 'bob', 'carol']);
}, 120_000);
afterAll(() => a?.close());

/** The public keys the server holds for `user`, read as alice. */
async function servedKeys(user: string): Promise<{ signing: string; encryption: string }> {
  const token = (await a.stores.get('alice')!.get<{ token: string }>('alice/session'))!.token;
  const res = await fetch(`${a.url}/api/users/${user}/keys`, { headers: { authorization: `Bearer ${token}` } });
  const { signing, encryption } = (await res.json()) as { signing: string; encryption: string };
  return { signing, encryption };
}

describe('[K8] a server that downgrades the key derivation', () => {
  it('is refused before anything is derived or sent: no login request, KDF_TOO_WEAK; an honest login works after', async () => {
    const victim = a.client('alice-2nd-device');
    a.http = (_who, url, body) =>
      url.endsWith('/api/prelogin') ? { ...body, kdf: { ...body.kdf, iterations: 1000 } } : undefined;
    a.sent.length = 0;
    try {
      await expect(victim.login('alice', PASSWORD)).rejects.toMatchObject({
        code: 'KDF_TOO_WEAK',
        message: `the server offered a key derivation of 1000 iterations, below the minimum of ${MIN_PBKDF2_ITERATIONS}; your password was not used`,
      });
    } finally {
      a.http = null;
    }
    const victims = a.sent.filter((s) => s.user === 'alice-2nd-device');
    expect(victims.map((s) => new URL(s.url).pathname)).toEqual(['/api/prelogin']);
    expect(victim.user).toBeNull();
    await victim.login('alice', PASSWORD);
    expect(victim.user).toBe('alice');
    await victim.logout();
  });

  it('[K8] one iteration under the floor is refused too; a missing count is a bad answer, not a login', async () => {
    const victim = a.client('alice-3rd-device');
    for (const iterations of [MIN_PBKDF2_ITERATIONS - 1, 0]) {
      a.http = (_who, url, body) =>
        url.endsWith('/api/prelogin') ? { ...body, kdf: { ...body.kdf, iterations } } : undefined;
      await expect(victim.login('alice', PASSWORD)).rejects.toMatchObject({ code: 'KDF_TOO_WEAK' });
    }
    a.http = (_who, url, body) =>
      url.endsWith('/api/prelogin') ? { ...body, kdf: { name: 'PBKDF2-SHA256' } } : undefined;
    a.sent.length = 0;
    await expect(victim.login('alice', PASSWORD)).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
    a.http = null;
    expect(a.sent.some((s) => s.url.endsWith('/api/login'))).toBe(false);
  });
});

describe('[K7] a server that hands a user public keys of its own making as her own', () => {
  it("refuses the login with OWN_KEYS_MISMATCH when the login answer carries another user's public keys", async () => {
    const bobs = await servedKeys('bob');
    const victim = a.client('alice-swapped');
    a.http = (_who, url, body) =>
      url.endsWith('/api/login')
        ? {
            ...body,
            keys: {
              signing: { ...body.keys.signing, public: bobs.signing },
              encryption: { ...body.keys.encryption, public: bobs.encryption },
            },
          }
        : undefined;
    try {
      await expect(victim.login('alice', PASSWORD)).rejects.toMatchObject({
        code: 'OWN_KEYS_MISMATCH',
        message: "the server's copy of your public keys does not match your private keys",
      });
    } finally {
      a.http = null;
    }
    expect(victim.user).toBeNull();
    expect(await a.stores.get('alice-swapped')!.get('alice/pin:alice')).toBeUndefined();
    await victim.login('alice', PASSWORD);
    expect(victim.user).toBe('alice');
    await victim.logout();
  });

  it('refuses it when only one public key is swapped (the encryption key a sender would share room keys to)', async () => {
    const bobs = await servedKeys('bob');
    const victim = a.client('alice-half-swapped');
    a.http = (_who, url, body) =>
      url.endsWith('/api/login')
        ? { ...body, keys: { ...body.keys, encryption: { ...body.keys.encryption, public: bobs.encryption } } }
        : undefined;
    try {
      await expect(victim.login('alice', PASSWORD)).rejects.toMatchObject({ code: 'OWN_KEYS_MISMATCH' });
    } finally {
      a.http = null;
    }
  });

  it('an own pin is never overwritten: other keys served for oneself warn, and the fingerprint stays her own', async () => {
    const before = await alice.contact('alice');
    const bobs = await servedKeys('bob');
    a.http = (who, url) =>
      who === 'alice' && url.endsWith('/api/users/alice/keys') ? { user: 'alice', ...bobs } : undefined;
    try {
      const after = await alice.contact('alice');
      expect(after.keyChanged).toBe(true);
      expect(after.fingerprint).toBe(before.fingerprint);
    } finally {
      a.http = null;
    }
    // Signing in again on this device with keys other than the pinned ones is refused, even before any unwrap
    // could tell: the pin stands.
    const store = a.stores.get('alice')!;
    const pin = await store.get<{ signing: string; encryption: string }>('alice/pin:alice');
    const again = a.client('alice-same-store', { store });
    await store.set('alice/pin:alice', { ...pin, signing: bobs.signing, verified: true });
    try {
      await expect(again.login('alice', PASSWORD)).rejects.toMatchObject({ code: 'OWN_KEYS_MISMATCH' });
      expect((await store.get<{ signing: string }>('alice/pin:alice'))!.signing).toBe(bobs.signing);
    } finally {
      await store.set('alice/pin:alice', pin);
    }
  });
});

describe('[K6] verify what was shown', () => {
  it('after a key change, the old and the new numbers are shown, and only the new number pins the new keys', async () => {
    const first = await bob.contact('carol');
    expect(first.keyChanged).toBe(false);
    const allowed = await servedKeys('alice');
    a.http = (who, url) =>
      who === 'bob' && url.endsWith('/api/users/carol/keys') ? { user: 'carol', ...allowed } : undefined;
    const shown = await bob.contact('carol');
    expect(shown.keyChanged).toBe(true);
    expect(shown.safetyNumber).toBe(first.safetyNumber);
    expect(shown.newSafetyNumber).toMatch(/^(\d{5} ){11}\d{5}$/);
    expect(shown.newSafetyNumber).not.toBe(first.safetyNumber);
    // Between the display and the click, the server swaps carol's keys again (to bob's own).
    const bobs = await servedKeys('bob');
    a.http = (who, url) =>
      who === 'bob' && url.endsWith('/api/users/carol/keys') ? { user: 'carol', ...bobs } : undefined;
    try {
      await expect(bob.verify('carol', '12345 '.repeat(12).trim())).rejects.toMatchObject({
        code: 'SAFETY_NUMBER_MISMATCH',
      });
      const pinned = await bob.verify('carol', shown.newSafetyNumber!);
      // Exactly the keys whose number was on screen, not the ones served at click time.
      expect(pinned).toMatchObject({ verified: true, keyChanged: false, fingerprint: shown.newFingerprint });
      expect(pinned.safetyNumber).toBe(shown.newSafetyNumber);
    } finally {
      a.http = null;
    }
  });

  it('verifying the old number after a change marks the old keys and keeps the warning about the new ones', async () => {
    const first = await carol.contact('bob');
    const allowed = await servedKeys('alice');
    a.http = (who, url) =>
      who === 'carol' && url.endsWith('/api/users/bob/keys') ? { user: 'bob', ...allowed } : undefined;
    try {
      const shown = await carol.contact('bob');
      const kept = await carol.verify('bob', shown.safetyNumber!);
      expect(kept).toMatchObject({ verified: true, keyChanged: true, fingerprint: first.fingerprint });
    } finally {
      a.http = null;
    }
  });
});

describe('one person per store', () => {
  it("signing in as bob where alice was signed in never reads alice's records (pins, verified flags, sessions)", async () => {
    const reads: string[] = [];
    const store = new (class extends MemoryKeyStore {
      override get<T>(key: string): Promise<T | undefined> {
        reads.push(key);
        return super.get<T>(key);
      }
    })();
    // frank: someone alice verifies here and bob never did (on any device: verification follows the account).
    await registered(a, ['frank']);
    const asAlice = a.client('shared-device-alice', { store });
    await asAlice.login('alice', PASSWORD);
    await asAlice.verify('frank', (await asAlice.contact('frank')).safetyNumber!);
    expect((await asAlice.contact('frank')).verified).toBe(true);
    reads.length = 0;
    const asBob = a.client('shared-device-bob', { store });
    await asBob.login('bob', PASSWORD);
    expect((await asBob.contact('frank')).verified).toBe(false);
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.filter((k) => !k.startsWith('bob/') && k !== 'current-user')).toEqual([]);
    // The next start resumes as the last user who signed in, with her own records.
    const resumed = a.client('shared-device-resume', { store });
    expect(await resumed.resume()).toBe(true);
    expect(resumed.user).toBe('bob');
  });
});

describe('the session token stays in its cookie', () => {
  it('a cookie client gets no token in the login answer and keeps none; a bearer client still gets one', async () => {
    const answers: any[] = [];
    a.http = (_who, url, body) => {
      if (url.endsWith('/api/login')) answers.push(body);
      return undefined;
    };
    try {
      const browser = a.client('alice-browser', { cookies: true });
      await browser.login('alice', PASSWORD);
      expect(answers[0]).not.toHaveProperty('token');
      expect(answers[0].csrfToken).toEqual(expect.any(String));
      // Signed in on the cookie alone: the session works, and nothing stored holds a token.
      expect((await browser.contact('alice')).user).toBe('alice');
      const session = await a.stores.get('alice-browser')!.get<Record<string, unknown>>('alice/session');
      expect(session).toBeDefined();
      expect(session).not.toHaveProperty('token');
      await a.client('alice-cli').login('alice', PASSWORD);
      expect(answers[1].token).toEqual(expect.any(String));
    } finally {
      a.http = null;
    }
  });
});
