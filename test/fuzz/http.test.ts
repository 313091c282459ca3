/* eslint-disable @typescript-eslint/no-unsafe-return -- these suites read, forge and
   return parsed JSON answers and frames; typing each one would hide what the attack changes. */
// Fuzzing every HTTP route of protocol.md §5 through app.inject (DESIGN §6 Input): random, malformed,
// truncated, oversized and type-confused bodies, path segments, queries and credentials. Per input: an
// answer within 5 s, never a 5xx, the error shape and security headers on every answer. After each target:
// the server still answers /api/health, the stored log is intact and verifies, memory stayed bounded.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, randomId, toB64u, type Head, type RoomEvent } from '@parley/protocol';
import { ERROR_CODES } from '../../packages/server/src/errors.ts';
import {
  api,
  createRoom,
  envelope,
  keyPool,
  member,
  register,
  registerBody,
  startUnlimited,
  uniqueName,
  within,
  type Harness,
  type TestUser,
} from '../support/server.ts';
import { checkLog, readWholeLog } from '../support/log-check.ts';
import {
  FUZZ_RUNS,
  fuzzTimeoutMs,
  hostileBody,
  hostileHeader,
  hostileSegment,
  routerBreakingSegment,
  weird,
} from './inputs.ts';

type Method = 'GET' | 'POST' | 'DELETE';
interface Req {
  method: Method;
  url: string;
  headers?: Record<string, string>;
  payload?: string;
}

let h: Harness;
let alice: TestUser;
let bob: TestUser;
let room: string;
let serverSpki: string;
let before: { events: RoomEvent[]; heads: Head[] };
const heapStart = process.memoryUsage().heapUsed;
let inputs = 0;

const bearer = (u: TestUser) => ({ authorization: `Bearer ${u.token}` });

async function send(req: Req): Promise<void> {
  inputs++;
  const res = await within(h.app.inject({ ...req, headers: req.headers ?? {} }), 5000, `${req.method} ${req.url}`);
  if (res.statusCode >= 500)
    throw new Error(`${res.statusCode} for ${req.method} ${req.url.slice(0, 80)}: ${res.body}`);
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  if (res.statusCode >= 400) expect(ERROR_CODES).toContain(JSON.parse(res.body).error.code);
}

function property(arb: fc.Arbitrary<Req>): Promise<void> {
  return fc.assert(fc.asyncProperty(arb, send), { numRuns: FUZZ_RUNS });
}

const json = (u: TestUser | null) => ({ 'content-type': 'application/json', ...(u ? bearer(u) : {}) });
const post = (url: string, u: TestUser | null, valid: unknown): fc.Arbitrary<Req> =>
  hostileBody(valid).map((payload) => ({ method: 'POST', url, headers: json(u), payload }));

beforeAll(async () => {
  h = await startUnlimited();
  await keyPool();
  [alice, bob] = await Promise.all([register(h, uniqueName('alice'), 0), register(h, uniqueName('bob'), 1)]);
  room = await createRoom(h, alice, { invite: [bob] });
  for (let i = 1; i <= 5; i++) {
    const u = i % 2 ? alice : bob;
    await api(h, 'POST', '/api/chat', { token: u.token, body: { envelope: await envelope(u, room, i) } });
  }
  serverSpki = (await api(h, 'GET', '/api/')).body.serverKey.spki;
  before = await readWholeLog(async (url) => (await api(h, 'GET', url, { token: alice.token })).body, room);
});

afterAll(async () => {
  // Every stored message intact: the log from before is an unchanged prefix and the whole log verifies.
  const after = await readWholeLog(async (url) => (await api(h, 'GET', url, { token: alice.token })).body, room);
  expect(after.events.slice(0, before.events.length)).toEqual(before.events);
  const check = await checkLog(after.events, after.heads, serverSpki);
  expect(check.problems).toEqual([]);
  expect((await api(h, 'GET', '/api/health')).body).toEqual({ ok: true });
  expect(Object.prototype).not.toHaveProperty('polluted');
  // Bounded: nothing per input is retained (a few hundred MB of slack for GC timing and SQLite caches).
  expect(process.memoryUsage().heapUsed - heapStart).toBeLessThan(400 * 1024 * 1024);
  console.log(`http fuzz: ${inputs} inputs, ${FUZZ_RUNS} per target`);
  await h.close();
});

describe('[§6 Input] HTTP routes under fuzzing: no 5xx, no crash, no hang', () => {
  const t = { timeout: fuzzTimeoutMs() };

  it('POST /api/prelogin', t, () => property(post('/api/prelogin', null, { username: alice.name })));

  it('POST /api/register', t, async () => {
    const { body } = await registerBody(alice.name, 'pw-whatever-long', (await keyPool())[0]!);
    // A taken name: a mutation that stays valid costs a scrypt hash, then 409. Mostly the same body with
    // RSA-2048 keys, refused before the hash, so the long form stays within minutes.
    const small = await crypto.subtle.generateKey(
      { name: 'RSA-PSS', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      true,
      ['sign', 'verify'],
    );
    const spki2048 = toB64u(new Uint8Array(await crypto.subtle.exportKey('spki', small.publicKey)));
    const weak = structuredClone(body);
    weak.keys.signing.public = spki2048;
    weak.keys.encryption.public = spki2048;
    await property(
      fc.oneof(
        { weight: 1, arbitrary: post('/api/register', null, body) },
        { weight: 30, arbitrary: post('/api/register', null, weak) },
      ),
    );
  });

  it('POST /api/login', t, () =>
    property(post('/api/login', null, { username: bob.name, authKey: toB64u(randomBytes(31)) })),
  );

  it('POST /api/password', t, () =>
    property(
      post('/api/password', bob, {
        authKey: toB64u(randomBytes(31)),
        salt: toB64u(randomBytes(16)),
        kdf: { name: 'PBKDF2-SHA256', iterations: 600_000 },
        newAuthKey: toB64u(randomBytes(32)),
        keys: {
          signing: { public: 'AA', wrappedPrivate: 'AA' },
          encryption: { public: 'AA', wrappedPrivate: 'AA' },
        },
      }),
    ),
  );

  it('POST /api/rooms', t, async () => {
    const id = randomId();
    const create = await member(bob, { type: 'create', room: id, target: bob.name, name: 'fuzz', public: false });
    const invites = [await member(bob, { type: 'invite', room: id, target: alice.name })];
    await property(post('/api/rooms', bob, { create, invites }));
  });

  it('POST /api/rooms/:id/members', t, async () => {
    const event = await member(alice, { type: 'kick', room, target: bob.name, eventId: randomId() });
    // A kick signed by alice: only mutations reach the server (the valid one is never sent as such).
    const bodies = hostileBody({ event }).filter((p) => p !== JSON.stringify({ event }));
    await property(
      fc.tuple(fc.oneof(fc.constant(room), hostileSegment), bodies).map(([id, payload]) => ({
        method: 'POST' as const,
        url: `/api/rooms/${id}/members`,
        headers: json(alice),
        payload,
      })),
    );
  });

  it('POST /api/chat', t, async () => {
    const valid = { envelope: await envelope(bob, room, 99) };
    await property(post('/api/chat', bob, valid));
  });

  it('POST /api/rooms/:id/shares', t, async () => {
    const share = {
      recipient: bob.name,
      sessionId: randomId(),
      ciphertext: toB64u(randomBytes(384)),
      signature: toB64u(randomBytes(384)),
    };
    await property(
      fc
        .tuple(fc.oneof(fc.constant(room), hostileSegment), hostileBody({ shares: [share] }))
        .map(([id, payload]) => ({
          method: 'POST' as const,
          url: `/api/rooms/${id}/shares`,
          headers: json(alice),
          payload,
        })),
    );
  });

  it('POST /api/shares/ack', t, () => property(post('/api/shares/ack', bob, { ids: [1, 2, 3] })));

  it('POST /api/key-requests', t, () =>
    property(post('/api/key-requests', bob, { room, sender: alice.name, sessionId: randomId() })),
  );

  it('POST /api/key-requests/ack', t, () => property(post('/api/key-requests/ack', bob, { ids: [1, 2, 3] })));

  it('GET routes with hostile path segments and queries', t, () => {
    const query = fc.dictionary(
      fc.oneof(fc.constantFrom('after', 'before', 'limit', '__proto__'), fc.string({ maxLength: 8 })),
      fc.oneof(fc.integer().map(String), fc.string({ maxLength: 20 }), fc.constant('1e400'), fc.constant('-0')),
      { maxKeys: 4 },
    );
    const url = fc.oneof(
      hostileSegment.map((s) => `/api/users/${s}/keys`),
      hostileSegment.map((s) => `/api/rooms/${s}`),
      fc
        .tuple(fc.oneof(fc.constant(room), hostileSegment), query)
        .map(([id, q]) => `/api/rooms/${id}/events?${new URLSearchParams(q).toString()}`),
      fc.constantFrom(
        '/api/',
        '/api/health',
        '/api/me',
        '/api/sessions',
        '/api/rooms',
        '/api/rooms/public',
        '/api/shares',
        '/api/key-requests',
        '/api/connect',
      ),
    );
    return property(url.map((u) => ({ method: 'GET' as const, url: u, headers: bearer(bob) })));
  });

  it('DELETE /api/sessions/:id with hostile ids', t, () =>
    property(
      hostileSegment.map((s) => ({ method: 'DELETE' as const, url: `/api/sessions/${s}`, headers: bearer(bob) })),
    ),
  );

  it('every route with hostile credentials, CSRF headers and content types', t, () => {
    const routes: [Method, string][] = [
      ['POST', '/api/logout'],
      ['POST', '/api/disconnect'],
      ['GET', '/api/me'],
      ['POST', '/api/chat'],
      ['POST', '/api/rooms'],
      ['DELETE', `/api/sessions/${randomId()}`],
      ['POST', `/api/rooms/${room}/members`],
      ['POST', '/api/shares/ack'],
      ['POST', '/api/key-requests'],
    ];
    const headers = fc.record(
      {
        authorization: hostileHeader,
        cookie: hostileHeader.map((v) => `__Host-parley=${v}`),
        'x-csrf-token': hostileHeader,
        origin: hostileHeader,
        'sec-fetch-site': fc.constantFrom('cross-site', 'same-site', 'same-origin', 'none', ''),
        'content-type': fc.oneof(
          hostileHeader,
          fc.constantFrom('text/plain', 'application/x-www-form-urlencoded'),
        ),
      },
      { requiredKeys: [] },
    );
    return property(
      fc
        .tuple(fc.constantFrom(...routes), headers, fc.option(weird.map((w) => JSON.stringify(w) ?? '')))
        .map(([[method, url], hs, body]) => ({
          method,
          url,
          headers: hs,
          ...(body === null ? {} : { payload: body }),
        })),
    );
  });

  it('random methods and paths', t, () => {
    const method = fc.constantFrom<Method>('GET', 'POST', 'DELETE');
    const path = fc.array(hostileSegment, { maxLength: 4 }).map((segs) => `/api/${segs.join('/')}`);
    return property(fc.tuple(method, path).map(([m, url]) => ({ method: m, url, headers: bearer(alice) })));
  });

  // Fastify's router answers these before any route or hook: buildApp's `frameworkErrors` handler keeps them
  // in the error table, with the security headers.
  it('a malformed or over-long URL answers with the error table and security headers', async () => {
    await property(
      fc
        .tuple(fc.constantFrom('/api/rooms/', '/api/users/', '/api/sessions/'), routerBreakingSegment)
        .map(([p, seg]) => ({
          method: 'GET' as const,
          url: p + seg,
          headers: bearer(bob),
        })),
    );
  });
});
