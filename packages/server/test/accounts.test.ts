/* eslint-disable @typescript-eslint/no-explicit-any -- tests assert on parsed JSON bodies */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_KDF,
  deriveAccountSecrets,
  fromB64u,
  randomBytes,
  sealAccountKeys,
  toB64u,
} from '@parley/protocol';
import { api, keyPool, register, registerBody, startHarness, uniqueName, type Harness } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ maxFailedLoginsPerHour: 3 });
  await keyPool();
});
afterAll(() => h.close());

describe('meta', () => {
  it('[S1] GET /api/ serves the server key and fingerprint', async () => {
    const r = await api(h, 'GET', '/api/');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'parley', protocolVersion: 1 });
    expect(fromB64u(r.body.serverKey.spki).length).toBeGreaterThan(300);
    expect(r.body.serverKey.fingerprint).toMatch(/^[0-9a-f]{4}( [0-9a-f]{4}){15}$/);
  });

  it('health answers ok and every response carries the security headers', async () => {
    const r = await api(h, 'GET', '/api/health');
    expect(r.body).toEqual({ ok: true });
    expect(r.headers['content-security-policy']).toContain("object-src 'none'");
    expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect(r.headers['strict-transport-security']).toBeUndefined();
    const missing = await api(h, 'GET', '/api/nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('NOT_FOUND');
  });
});

describe('prelogin and register', () => {
  it('[K3] prelogin answers an unknown name with the same shape, deterministically', async () => {
    const u = await register(h);
    const known = await api(h, 'POST', '/api/prelogin', { body: { username: u.name } });
    const unknown = await api(h, 'POST', '/api/prelogin', { body: { username: 'nobody-here' } });
    const again = await api(h, 'POST', '/api/prelogin', { body: { username: 'nobody-here' } });
    expect(known.status).toBe(200);
    expect(unknown.status).toBe(200);
    expect(Object.keys(unknown.body).sort()).toEqual(Object.keys(known.body).sort());
    expect(fromB64u(unknown.body.salt).length).toBe(16);
    expect(unknown.body.kdf).toEqual(DEFAULT_KDF);
    expect(again.body.salt).toBe(unknown.body.salt);
  });

  it('register answers 201 with a session; a taken name is 409', async () => {
    const pairs = (await keyPool())[0]!;
    const name = uniqueName();
    const { body } = await registerBody(name, 'correct horse battery', pairs);
    const r = await api(h, 'POST', '/api/register', { body });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ user: name, keys: body.keys });
    expect(String(r.headers['set-cookie'])).toMatch(/__Host-parley=.*HttpOnly.*Secure.*SameSite=Strict/i);
    const again = await api(h, 'POST', '/api/register', { body });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('USERNAME_TAKEN');
  });

  it('bad input is a 4xx with a code, never 500', async () => {
    const pairs = (await keyPool())[0]!;
    const { body } = await registerBody(uniqueName(), 'pw pw pw pw', pairs);
    const cases: [string, Record<string, unknown> | string][] = [
      ['malformed JSON', '{"username": '],
      ['unknown field', { ...body, admin: true }],
      ['wrong type', { ...body, kdf: { name: 'PBKDF2-SHA256', iterations: '600000' } }],
      ['too few iterations', { ...body, kdf: { name: 'PBKDF2-SHA256', iterations: 1000 } }],
      ['bad b64u', { ...body, authKey: 'not*base64url*at*all*not*base64url*at' }],
      ['padded b64u', { ...body, salt: 'AAAAAAAAAAAAAAAAAAAA==' }],
      ['bad username', { ...body, username: 'A!' }],
      ['not an RSA key', { ...body, keys: { ...body.keys, signing: { ...body.keys.signing, public: 'AAAA' } } }],
    ];
    for (const [what, b] of cases) {
      const r = await api(h, 'POST', '/api/register', typeof b === 'string' ? { raw: b } : { body: b });
      expect(r.status, what).toBe(400);
      expect(r.body.error.code, what).toBe('BAD_REQUEST');
    }
    const big = await api(h, 'POST', '/api/register', { raw: JSON.stringify({ x: 'a'.repeat(300_000) }) });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    const text = await api(h, 'POST', '/api/login', { raw: 'hi', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
  });
});

describe('login and sessions', () => {
  it('[K4] login answers keys and server key with a new token each time; wrong secret is 401', async () => {
    const u = await register(h);
    const first = await api(h, 'POST', '/api/login', { body: { username: u.name, authKey: u.authKey } });
    const second = await api(h, 'POST', '/api/login', { body: { username: u.name, authKey: u.authKey } });
    expect(first.status).toBe(200);
    expect(Object.keys(first.body).sort()).toEqual(['csrfToken', 'keys', 'serverKey', 'token', 'user']);
    expect(first.body.token).not.toBe(second.body.token);
    expect(first.body.serverKey.spki).toBe((await api(h, 'GET', '/api/')).body.serverKey.spki);
    const wrong = await api(h, 'POST', '/api/login', {
      body: { username: u.name, authKey: toB64u(randomBytes(32)) },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('BAD_CREDENTIALS');
    const nobody = await api(h, 'POST', '/api/login', { body: { username: 'nobody-x', authKey: u.authKey } });
    expect(nobody.status).toBe(401);
    expect(nobody.body.error).toEqual(wrong.body.error);
  });

  it('[ASVS 2.2.1] too many failed logins for one account answer 429 with Retry-After', async () => {
    const u = await register(h);
    for (let i = 0; i < 3; i++) {
      await api(h, 'POST', '/api/login', { body: { username: u.name, authKey: toB64u(randomBytes(32)) } });
    }
    const r = await api(h, 'POST', '/api/login', { body: { username: u.name, authKey: u.authKey } });
    expect(r.status).toBe(429);
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('me, sessions list and revoke; logout kills the session', async () => {
    const u = await register(h);
    const me = await api(h, 'GET', '/api/me', { token: u.token });
    expect(me.body).toMatchObject({ user: u.name, csrfToken: u.csrfToken });
    const other = await api(h, 'POST', '/api/login', { body: { username: u.name, authKey: u.authKey } });
    const list = await api(h, 'GET', '/api/sessions', { token: u.token });
    expect(list.body.sessions).toHaveLength(2);
    const them = list.body.sessions.find((s: any) => !s.current);
    expect((await api(h, 'DELETE', `/api/sessions/${them.id}`, { token: u.token })).status).toBe(204);
    expect((await api(h, 'GET', '/api/me', { token: other.body.token })).status).toBe(401);
    expect((await api(h, 'DELETE', '/api/sessions/bad', { token: u.token })).status).toBe(400);
    expect((await api(h, 'POST', '/api/logout', { token: u.token })).status).toBe(204);
    const after = await api(h, 'GET', '/api/me', { token: u.token });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('[K5] password change swaps the secret and ends the other sessions', async () => {
    const u = await register(h);
    const other = await api(h, 'POST', '/api/login', { body: { username: u.name, authKey: u.authKey } });
    const salt = randomBytes(16);
    const secrets = await deriveAccountSecrets('a brand new password', salt, DEFAULT_KDF);
    const keys = await sealAccountKeys(u.name, u.pairs, secrets.wrapKey);
    const body = {
      authKey: u.authKey,
      salt: toB64u(salt),
      kdf: DEFAULT_KDF,
      newAuthKey: toB64u(secrets.authKey),
      keys,
    };
    const wrong = await api(h, 'POST', '/api/password', {
      token: u.token,
      body: { ...body, authKey: toB64u(randomBytes(32)) },
    });
    expect(wrong.status).toBe(401);
    expect((await api(h, 'POST', '/api/password', { token: u.token, body })).status).toBe(204);
    expect((await api(h, 'GET', '/api/me', { token: other.body.token })).status).toBe(401);
    expect((await api(h, 'GET', '/api/me', { token: u.token })).status).toBe(200);
    const old = await api(h, 'POST', '/api/login', { body: { username: u.name, authKey: u.authKey } });
    expect(old.status).toBe(401);
    const fresh = await api(h, 'POST', '/api/login', {
      body: { username: u.name, authKey: toB64u(secrets.authKey) },
    });
    expect(fresh.status).toBe(200);
    expect((await api(h, 'POST', '/api/prelogin', { body: { username: u.name } })).body.salt).toBe(toB64u(salt));
  });

  it('user keys are served to signed-in users only', async () => {
    const u = await register(h);
    const r = await api(h, 'GET', `/api/users/${u.name}/keys`, { token: u.token });
    expect(r.body).toMatchObject({ user: u.name });
    expect(typeof r.body.signing).toBe('string');
    expect((await api(h, 'GET', `/api/users/${u.name}/keys`)).status).toBe(401);
    expect((await api(h, 'GET', '/api/users/nobody-y/keys', { token: u.token })).status).toBe(404);
  });
});

describe('[ASVS 3.5] CSRF under cookie auth', () => {
  it('refuses a state change without the header, with a wrong one, from a foreign Origin or cross-site', async () => {
    const u = await register(h);
    const ok = { cookie: u.cookie, 'x-csrf-token': u.csrfToken, origin: 'http://localhost:5000' };
    const cases: Record<string, string>[] = [
      { cookie: u.cookie },
      { ...ok, 'x-csrf-token': 'wrong' },
      { ...ok, origin: 'https://evil.example' },
      { ...ok, 'sec-fetch-site': 'cross-site' },
    ];
    for (const headers of cases) {
      const r = await api(h, 'POST', '/api/disconnect', { headers });
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('CSRF');
    }
    expect((await api(h, 'GET', '/api/me', { headers: { cookie: u.cookie } })).status).toBe(200);
    expect((await api(h, 'POST', '/api/disconnect', { headers: ok })).status).toBe(204);
    expect((await api(h, 'POST', '/api/disconnect', { token: u.token })).status).toBe(204);
  });
});

describe('[K9] the account vault over HTTP', () => {
  const record = (id: string, version: number) => ({
    id,
    version,
    iv: toB64u(randomBytes(12)),
    ciphertext: toB64u(randomBytes(48)),
  });

  it('stores sealed records per user, reads what changed after a position, and refuses a stale version', async () => {
    const u = await register(h);
    const other = await register(h);
    expect((await api(h, 'GET', '/api/vault')).status).toBe(401);
    const put = await api(h, 'PUT', '/api/vault', { token: u.token, body: { records: [record('pins', 1)] } });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ seq: 1 });
    const read = await api(h, 'GET', '/api/vault?after=0', { token: u.token });
    expect(read.body).toMatchObject({ records: [{ id: 'pins', version: 1, seq: 1 }], seq: 1, hasMore: false });
    expect((await api(h, 'GET', '/api/vault?after=1', { token: u.token })).body.records).toEqual([]);
    expect((await api(h, 'GET', '/api/vault', { token: other.token })).body.records).toEqual([]);
    const stale = await api(h, 'PUT', '/api/vault', { token: u.token, body: { records: [record('pins', 1)] } });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({
      code: 'VAULT_CONFLICT',
      message: expect.stringMatching(/^1 vault record\(s\) were written by another device first \(pins\)/),
    });
  });

  it('bad input is a 400 with a reason, and nothing is stored', async () => {
    const u = await register(h);
    const cases: unknown[] = [
      { records: [] },
      { records: [record('pins', 1), record('pins', 2)] },
      { records: [{ ...record('pins', 1), id: 'no spaces allowed' }] },
      { records: [{ ...record('pins', 0) }] },
      { records: [{ ...record('pins', 1), iv: 'short' }] },
    ];
    for (const body of cases) {
      const r = await api(h, 'PUT', '/api/vault', { token: u.token, body });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('BAD_REQUEST');
    }
    expect((await api(h, 'GET', '/api/vault', { token: u.token })).body.records).toEqual([]);
  });

  it('[K5] a password change that leaves a vault record out is refused, and changes nothing', async () => {
    const u = await register(h);
    await api(h, 'PUT', '/api/vault', {
      token: u.token,
      body: { records: [record('pins', 1), record('s:x', 1)] },
    });
    const salt = randomBytes(16);
    const secrets = await deriveAccountSecrets('another brand new password', salt, DEFAULT_KDF);
    const body = {
      authKey: u.authKey,
      salt: toB64u(salt),
      kdf: DEFAULT_KDF,
      newAuthKey: toB64u(secrets.authKey),
      keys: await sealAccountKeys(u.name, u.pairs, secrets.wrapKey),
    };
    const partial = await api(h, 'POST', '/api/password', {
      token: u.token,
      body: { ...body, vault: [record('pins', 2)] },
    });
    expect(partial.status).toBe(409);
    expect(partial.body.error.code).toBe('VAULT_CONFLICT');
    const stillOld = await api(h, 'POST', '/api/login', { body: { username: u.name, authKey: u.authKey } });
    expect(stillOld.status).toBe(200);
    const whole = { ...body, vault: [record('pins', 2), record('s:x', 2)] };
    expect((await api(h, 'POST', '/api/password', { token: u.token, body: whole })).status).toBe(204);
    const read = await api(h, 'GET', '/api/vault', { token: u.token });
    const records = read.body.records as { id: string; version: number }[];
    expect(records.map((r) => [r.id, r.version])).toEqual([
      ['pins', 2],
      ['s:x', 2],
    ]);
  });
});
