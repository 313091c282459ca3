/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- these suites read, forge and
   return parsed JSON answers and frames; typing each one would hide what the attack changes. */
// Web security against a real listening server (DESIGN §6, ASVS 5.0): CSRF on every state-changing route,
// cross-site WebSocket hijacking, session fixation, sockets closed with their session, the per-account
// failed-login limit at its real default, and the headers on every kind of answer. The server package's own
// tests check one route or one case of each; these check them all, and that a refused request changed nothing.
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, randomId, toB64u } from '@parley/protocol';
import {
  createRoom,
  envelope,
  keyPool,
  member,
  register,
  startHarness,
  TestSocket,
  uniqueName,
  type Harness,
  type TestUser,
} from './support/server.ts';

const ALLOWED = 'http://localhost:5000';
const MANY = { perMinute: 1_000_000, burst: 1_000_000 };
let h: Harness;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  // Real defaults (100 failed logins an hour) except the per-IP limits: every request here comes from 127.0.0.1.
  h = await startHarness({
    rateLimits: { prelogin: MANY, login: MANY, register: MANY, send: MANY, frames: MANY, keyRequests: MANY },
  });
  await keyPool();
  [alice, bob] = await Promise.all([register(h, uniqueName('alice'), 0), register(h, uniqueName('bob'), 1)]);
});
afterAll(() => h.close());

async function http(method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const res = await fetch(h.url + path, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const cookieOk = (u: TestUser) => ({ cookie: u.cookie, 'x-csrf-token': u.csrfToken, origin: ALLOWED });
const bearer = (u: TestUser) => ({ authorization: `Bearer ${u.token}` });

function upgrade(headers: Record<string, string>): Promise<number | 'open'> {
  return new Promise((resolve) => {
    const ws = new WebSocket(h.wsUrl, { headers });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('error', () => undefined);
  });
}

describe('[ASVS 3.5] CSRF on every state-changing route', () => {
  it('refuses a missing token, a foreign or look-alike Origin and Sec-Fetch-Site: cross-site, and changes nothing', async () => {
    const room = await createRoom(h, alice, { invite: [bob] });
    const otherSession = (await http('POST', '/api/login', {}, { username: alice.name, authKey: alice.authKey }))
      .body;
    const otherId = (await http('GET', '/api/sessions', bearer(alice))).body.sessions.find(
      (s: any) => !s.current,
    ).id;
    const newRoom = randomId();
    const create = await member(alice, {
      type: 'create',
      room: newRoom,
      target: alice.name,
      name: 'x',
      public: false,
    });
    const kick = await member(alice, { type: 'kick', room, target: bob.name });
    const share = {
      recipient: bob.name,
      sessionId: randomId(),
      ciphertext: toB64u(randomBytes(384)),
      signature: toB64u(randomBytes(384)),
    };
    const routes: [string, string, unknown][] = [
      ['POST', '/api/logout', undefined],
      ['POST', '/api/disconnect', undefined],
      ['POST', '/api/chat', { envelope: await envelope(alice, room, 1) }],
      ['POST', '/api/rooms', { create }],
      ['POST', `/api/rooms/${room}/members`, { event: kick }],
      ['POST', `/api/rooms/${room}/shares`, { shares: [share] }],
      ['POST', '/api/shares/ack', { ids: [1] }],
      ['DELETE', `/api/sessions/${otherId}`, undefined],
      [
        'POST',
        '/api/password',
        {
          authKey: alice.authKey,
          salt: 'AAAAAAAAAAAAAAAAAAAAAA',
          kdf: { name: 'PBKDF2-SHA256', iterations: 600_000 },
          newAuthKey: toB64u(randomBytes(32)),
          keys: {
            signing: { public: 'AA', wrappedPrivate: 'AA' },
            encryption: { public: 'AA', wrappedPrivate: 'AA' },
          },
        },
      ],
    ];
    const ok = cookieOk(alice);
    const attacks: Record<string, string>[] = [
      { cookie: alice.cookie, origin: ALLOWED },
      { ...ok, origin: 'https://evil.example' },
      { ...ok, origin: 'http://localhost:5000.evil.example' },
      { ...ok, origin: 'http://localhost:5001' },
      { ...ok, origin: 'https://localhost:5000' },
      { ...ok, origin: 'null' },
      { ...ok, 'sec-fetch-site': 'cross-site' },
      { ...ok, 'x-csrf-token': otherSession.csrfToken },
    ];
    for (const [method, path, body] of routes) {
      for (const headers of attacks) {
        const r = await http(method, path, headers, body);
        expect([path, headers, r.status, r.body.error.code]).toEqual([path, headers, 403, 'CSRF']);
      }
    }
    // Nothing happened: both sessions live, no message, no room, no kick, bob still a member.
    expect((await http('GET', '/api/me', { cookie: alice.cookie })).status).toBe(200);
    expect((await http('GET', '/api/me', bearer({ token: otherSession.token } as TestUser))).status).toBe(200);
    const log = await http('GET', `/api/rooms/${room}/events`, bearer(bob));
    expect(log.body.events.map((e: any) => e.content.type ?? 'message')).toEqual(['create', 'invite']);
    expect((await http('GET', `/api/rooms/${newRoom}`, bearer(alice))).status).toBe(404);
    // The control: the same request with the token from an allowed Origin goes through.
    expect((await http('POST', '/api/chat', ok, { envelope: await envelope(alice, room, 1) })).status).toBe(200);
  });

  it('a cross-site form post (text/plain, urlencoded: no preflight) is refused and stores nothing', async () => {
    const room = await createRoom(h, alice, { invite: [bob] });
    const body = JSON.stringify({ envelope: await envelope(alice, room, 1) });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const r = await http('POST', '/api/chat', { cookie: alice.cookie, 'content-type': type }, body);
      expect([403, 415]).toContain(r.status);
    }
    const log = await http('GET', `/api/rooms/${room}/events`, bearer(bob));
    expect(log.body.headSeq).toBe(2);
  });

  it('a foreign Origin gets no CORS grant, not even on a preflight', async () => {
    const pre = await fetch(`${h.url}/api/chat`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    expect(pre.headers.get('access-control-allow-credentials')).toBeNull();
    const me = await http('GET', '/api/me', { ...bearer(alice), origin: 'https://evil.example' });
    expect(me.headers.get('access-control-allow-origin')).toBeNull();
    const good = await http('GET', '/api/me', { ...bearer(alice), origin: ALLOWED });
    expect(good.headers.get('access-control-allow-origin')).toBe(ALLOWED);
  });
});

describe('[ASVS 4.4] cross-site WebSocket hijacking', () => {
  it('a valid cookie with a foreign, look-alike, null or missing Origin is refused before the upgrade', async () => {
    for (const origin of [
      'https://evil.example',
      'http://localhost:5000.evil.example',
      'http://localhost:5001',
      'https://localhost:5000',
      'null',
      'http://LOCALHOST:5000',
    ]) {
      expect([origin, await upgrade({ cookie: alice.cookie, origin })]).toEqual([origin, 403]);
    }
    expect(await upgrade({ cookie: alice.cookie })).toBe(403);
    expect(await upgrade({ cookie: alice.cookie, origin: ALLOWED })).toBe('open');
  });
});

describe('[ASVS 7.2.4] session fixation', () => {
  it('a session token planted before login is useless after it; a logged-out token stays dead', async () => {
    const planted = toB64u(randomBytes(32));
    const res = await fetch(`${h.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: `__Host-parley=${planted}` },
      body: JSON.stringify({ username: bob.name, authKey: bob.authKey }),
    });
    expect(res.status).toBe(200);
    const issued = /__Host-parley=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
    expect(issued).toBeDefined();
    expect(issued).not.toBe(planted);
    expect((await http('GET', '/api/me', { cookie: `__Host-parley=${planted}` })).status).toBe(401);
    expect((await http('GET', '/api/me', { authorization: `Bearer ${planted}` })).status).toBe(401);
    expect((await http('GET', '/api/me', { cookie: `__Host-parley=${issued}` })).status).toBe(200);
    // Logout, then a new login: the old token does not come back to life.
    expect((await http('POST', '/api/logout', { authorization: `Bearer ${issued}` })).status).toBe(204);
    await http('POST', '/api/login', {}, { username: bob.name, authKey: bob.authKey });
    expect((await http('GET', '/api/me', { cookie: `__Host-parley=${issued}` })).status).toBe(401);
  });
});

describe('[ASVS 7.4.1] [ASVS 7.5.2] sockets end with their session', () => {
  async function sessionsOf(u: TestUser) {
    const second = (await http('POST', '/api/login', {}, { username: u.name, authKey: u.authKey })).body;
    const list = (await http('GET', '/api/sessions', { authorization: `Bearer ${second.token}` })).body.sessions;
    return { second, secondId: list.find((s: any) => s.current).id as string };
  }
  async function open(token: string): Promise<TestSocket> {
    const s = await TestSocket.open(h.wsUrl, { authorization: `Bearer ${token}` });
    s.send({ type: 'hello', v: 1 });
    await s.next((f) => f.type === 'ready');
    return s;
  }
  async function alive(s: TestSocket): Promise<boolean> {
    s.send({ type: 'ping', n: 42 });
    return (await s.next((f) => f.type === 'pong' && f.n === 42, 3000)) !== undefined;
  }

  it('revoking a session closes its sockets, and only its sockets', async () => {
    const u = await register(h, uniqueName('rev'), 2);
    const { second, secondId } = await sessionsOf(u);
    const [mine, theirs] = await Promise.all([open(u.token), open(second.token)]);
    expect((await http('DELETE', `/api/sessions/${secondId}`, bearer(u))).status).toBe(204);
    expect((await theirs.closed).code).toBe(1008);
    expect(await alive(mine)).toBe(true);
    expect(await upgrade({ authorization: `Bearer ${second.token}` })).toBe(401);
    mine.close();
  });

  it("logout closes that session's sockets and leaves the user's other session connected", async () => {
    const u = await register(h, uniqueName('out'), 2);
    const { second } = await sessionsOf(u);
    const [mine, theirs] = await Promise.all([open(u.token), open(second.token)]);
    expect((await http('POST', '/api/logout', bearer(u))).status).toBe(204);
    expect((await mine.closed).code).toBe(1008);
    expect(await alive(theirs)).toBe(true);
    theirs.close();
  });
});

describe('[ASVS 7.4.1] a socket opened before logout, still waiting to say hello', () => {
  // The hub learns of a socket only at its hello, so the logout's close can miss it; hello re-checks the session.
  it('is closed by the logout, or refused at its hello: a dead session reads nothing', async () => {
    const u = await register(h, uniqueName('early'), 1);
    const room = await createRoom(h, bob, { invite: [u] });
    const early = await TestSocket.open(h.wsUrl, { authorization: `Bearer ${u.token}` });
    expect((await http('POST', '/api/logout', bearer(u))).status).toBe(204);
    await new Promise((r) => setTimeout(r, 200));
    if (early.ws.readyState === WebSocket.OPEN) early.send({ type: 'hello', v: 1 });
    await http('POST', '/api/chat', bearer(bob), { envelope: await envelope(bob, room, 1) });
    const outcome = await Promise.race([
      early.closed.then((c) => `closed ${c.code}`),
      early.next((f) => f.type === 'ready' || f.type === 'event', 3000).then((f) => `got ${f.type}`),
    ]);
    expect(outcome).toBe('closed 1008');
  });
});

describe('[ASVS 2.2.1] failed logins per account', () => {
  it('the 101st failed login within the hour is refused with 429, even with the right secret; others unaffected', async () => {
    const u = await register(h, uniqueName('brute'), 0);
    for (let i = 0; i < 100; i++) {
      const r = await http('POST', '/api/login', {}, { username: u.name, authKey: toB64u(randomBytes(32)) });
      expect(r.status).toBe(401);
    }
    const blocked = await http('POST', '/api/login', {}, { username: u.name, authKey: u.authKey });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('RATE_LIMITED');
    const retry = Number(blocked.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(3000);
    expect(retry).toBeLessThanOrEqual(3600);
    expect((await http('POST', '/api/login', {}, { username: alice.name, authKey: alice.authKey })).status).toBe(
      200,
    );
    // The session the user already had keeps working: the limit stops guessing, not the owner.
    expect((await http('GET', '/api/me', bearer(u))).status).toBe(200);
  }, 120_000);
});

describe('security headers on every kind of answer', () => {
  it('200, 201, 204, 400, 401, 403, 404, 413, 415 and preflights all carry CSP, nosniff, no-referrer, DENY', async () => {
    const answers = [
      await http('GET', '/api/health', {}),
      await http('POST', '/api/register', {}, { nope: 1 }),
      await http('POST', '/api/disconnect', bearer(alice)),
      await http('GET', '/api/me', {}),
      await http('POST', '/api/disconnect', { cookie: alice.cookie }),
      await http('GET', '/api/nowhere', {}),
      await http('POST', '/api/prelogin', {}, { username: 'x'.repeat(300_000) }),
      await http('POST', '/api/prelogin', { 'content-type': 'text/plain' }, 'username=x'),
      await http('GET', '/api/connect', bearer(alice)),
      {
        status: 204,
        headers: (await fetch(`${h.url}/api/chat`, { method: 'OPTIONS', headers: { origin: ALLOWED } })).headers,
      },
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 400, 204, 401, 403, 404, 413, 415, 400, 204]);
    for (const a of answers) {
      const csp = a.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("object-src 'none'");
      expect(csp).toContain("base-uri 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(a.headers.get('x-content-type-options')).toBe('nosniff');
      expect(a.headers.get('referrer-policy')).toBe('no-referrer');
      expect(a.headers.get('x-frame-options')).toBe('DENY');
      expect(a.headers.get('strict-transport-security')).toBeNull();
    }
  });

  it('the session cookie is __Host- scoped: HttpOnly, Secure, SameSite=Strict, Path=/, no Domain', async () => {
    const res = await fetch(`${h.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: alice.name, authKey: alice.authKey }),
    });
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^__Host-parley=[A-Za-z0-9_-]{43};/);
    for (const attr of [/; HttpOnly/i, /; Secure/i, /; SameSite=Strict/i, /; Path=\//])
      expect(cookie).toMatch(attr);
    expect(cookie).not.toMatch(/Domain=/i);
  });
});
