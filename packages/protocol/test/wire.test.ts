// Wire schemas (docs/protocol.md §0, §5, §6): strict, typed, versioned; bad input is a result, never a throw.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  b64u,
  b64uBytes,
  clientFrame,
  envelope as envelopeSchema,
  memberEvent as memberEventSchema,
  parseFrame,
  parseWith,
  registerRequest,
  serverFrame,
  toB64u,
} from '@parley/protocol';
import { ROOM, b64uOf, envelope, id16, memberEvent } from './fixtures.ts';

const CHAIN = toB64u(new Uint8Array(32).fill(1));
const goodClientFrames: unknown[] = [
  { type: 'hello', v: 1 },
  { type: 'hello', v: 1, resume: { [ROOM]: 12 } },
  { type: 'send', envelope: envelope() },
  { type: 'typing', room: ROOM },
  { type: 'ping' },
  { type: 'ping', n: 3 },
  { type: 'key_request', room: ROOM, sender: 'alice', sessionId: id16(2) },
];
const goodServerFrames: unknown[] = [
  { type: 'ready', v: 1, user: 'alice' },
  { type: 'ack', room: ROOM, clientMsgId: id16(5), seq: 3, ts: 10, chain: CHAIN },
  {
    type: 'event',
    event: {
      kind: 'message',
      room: ROOM,
      seq: 3,
      ts: 10,
      sender: 'alice',
      content: envelope(),
      hash: CHAIN,
      chain: CHAIN,
    },
  },
  {
    type: 'event',
    event: {
      kind: 'member',
      room: ROOM,
      seq: 1,
      ts: 10,
      sender: '@server',
      content: memberEvent('create', '@server', '@server', { public: true }),
      hash: CHAIN,
      chain: CHAIN,
    },
  },
  { type: 'head', head: { room: ROOM, seq: 3, ts: 10, chain: CHAIN, signature: toB64u(new Uint8Array(384)) } },
  { type: 'gap', room: ROOM, from: 1, to: 4 },
  { type: 'presence', user: 'bob', online: false },
  { type: 'typing', room: ROOM, user: 'bob' },
  { type: 'key_request', id: 7, room: ROOM, from: 'bob', sessionId: id16(2) },
  { type: 'shares' },
  { type: 'error', code: 'BAD_FRAME', message: 'no', ref: 'x' },
  { type: 'pong' },
];

describe('frames', () => {
  it('[§6] accepts every well-formed frame, in both directions, as JSON text', () => {
    for (const f of goodClientFrames)
      expect(parseFrame(clientFrame, JSON.stringify(f)), JSON.stringify(f)).toEqual({ ok: true, value: f });
    for (const f of goodServerFrames)
      expect(parseFrame(serverFrame, JSON.stringify(f)), JSON.stringify(f)).toEqual({ ok: true, value: f });
  });

  it('[§6] rejects an unknown field anywhere, at the top or nested', () => {
    fc.assert(
      fc.property(fc.constantFrom(...goodClientFrames), fc.string({ minLength: 1, maxLength: 8 }), (f, key) => {
        // Every optional field any client frame has, so the added key is unknown to the frame's schema.
        const known = ['type', 'v', 'resume', 'envelope', 'room', 'n', 'sender', 'sessionId', '__proto__'];
        fc.pre(!known.includes(key));
        expect(parseWith(clientFrame, { ...(f as object), [key]: 1 }).ok).toBe(false);
      }),
    );
    const nested = { type: 'send', envelope: { ...envelope(), extra: true } };
    expect(parseWith(clientFrame, nested)).toMatchObject({
      ok: false,
      error: expect.stringContaining('envelope'),
    });
  });

  it('[§6] rejects wrong types, unknown frame types, non-objects and text that is not JSON', () => {
    const bad: unknown[] = [
      { type: 'ping', n: '3' },
      { type: 'ping', n: 1.5 },
      { type: 'typing', room: 5 },
      { type: 'hello', v: 1, resume: { [ROOM]: -1 } },
      { type: 'hello', v: 1, resume: { 'not-a-room': 1 } },
      { type: 'send', envelope: { ...envelope(), index: -1 } },
      { type: 'send', envelope: { ...envelope(), counter: 0 } },
      { type: 'key_request', room: ROOM, sender: 'Alice!', sessionId: id16(2) },
      { type: 'nope' },
      {},
      [],
      null,
      'hello',
    ];
    for (const f of bad) expect(parseWith(clientFrame, f).ok, JSON.stringify(f)).toBe(false);
    expect(parseFrame(clientFrame, '{"type":')).toEqual({ ok: false, error: 'frame is not JSON' });
  });

  it('[§0] rejects any protocol version other than 1 (no downgrade)', () => {
    for (const v of [0, 2, '1', null]) {
      expect(parseWith(clientFrame, { type: 'hello', v }).ok).toBe(false);
      expect(parseWith(envelopeSchema, { ...envelope(), v }).ok).toBe(false);
      expect(parseWith(memberEventSchema, { ...memberEvent('join', 'bob', 'bob'), v }).ok).toBe(false);
    }
  });

  it('[§0] rejects bad b64u: padding, standard alphabet, wrong length, non-canonical last character', () => {
    const id = id16(2);
    const bad = [`${id}==`, `${id.slice(0, -1)}+`, id.slice(0, -1), `${id}A`, `${id.slice(0, -1)}B`];
    for (const sessionId of bad) {
      const r = parseWith(envelopeSchema, { ...envelope(), sessionId });
      expect(r.ok, sessionId).toBe(false);
      expect(r).toMatchObject({ error: expect.stringMatching(/^sessionId: /) });
    }
    const ct = toB64u(new Uint8Array(10)); // 10 bytes: the last character carries 4 stray bits
    expect(parseWith(envelopeSchema, { ...envelope(), ciphertext: ct }).ok).toBe(true);
    expect(parseWith(envelopeSchema, { ...envelope(), ciphertext: `${ct.slice(0, -1)}B` }).ok).toBe(false);
    expect(parseWith(envelopeSchema, { ...envelope(), ciphertext: `${ct}=` }).ok).toBe(false);
  });

  it('[§0] every string b64u / b64uBytes accept decodes to at most / exactly the bound', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'AQgw_-9zZ'), maxLength: 30 }), (s) => {
        const r = parseWith(b64u(16), s);
        if (r.ok) {
          expect(Buffer.from(s, 'base64url').toString('base64url')).toBe(s);
          expect(Buffer.from(s, 'base64url').length).toBeLessThanOrEqual(16);
        }
        const exact = parseWith(b64uBytes(16), s);
        if (exact.ok) expect(Buffer.from(s, 'base64url')).toHaveLength(16);
      }),
    );
    fc.assert(
      fc.property(b64uOf(16), (s) => {
        expect(parseWith(b64uBytes(16), s).ok).toBe(true);
      }),
    );
  });
});

describe('membership events', () => {
  it('[R2] a room name must be well-formed Unicode: a lone surrogate would sign as U+FFFD', () => {
    const create = memberEvent('create', 'alice', 'alice');
    expect(parseWith(memberEventSchema, { ...create, name: 'caf\u00e9 \u{1f600}' }).ok).toBe(true);
    for (const name of ['\ud800', 'a\udc00b', '', 'x'.repeat(65)]) {
      expect(parseWith(memberEventSchema, { ...create, name }).ok, JSON.stringify(name)).toBe(false);
    }
  });

  it('[R2] actor and target are user ids or the server actor, and the type is one of the six', () => {
    const e = memberEvent('invite', 'alice', 'bob');
    expect(parseWith(memberEventSchema, e).ok).toBe(true);
    for (const bad of [
      { actor: 'Alice' },
      { target: '@admin' },
      { type: 'ban' },
      { ts: -1 },
      { eventId: ROOM.slice(1) },
    ]) {
      expect(parseWith(memberEventSchema, { ...e, ...bad }).ok, JSON.stringify(bad)).toBe(false);
    }
  });
});

describe('HTTP bodies', () => {
  const keys = {
    signing: { public: toB64u(new Uint8Array(420)), wrappedPrivate: toB64u(new Uint8Array(1800)) },
    encryption: { public: toB64u(new Uint8Array(420)), wrappedPrivate: toB64u(new Uint8Array(1800)) },
  };
  const register = {
    username: 'alice',
    salt: toB64u(new Uint8Array(16)),
    kdf: { name: 'PBKDF2-SHA256', iterations: 600_000 },
    authKey: toB64u(new Uint8Array(32)),
    keys,
  };

  it('[K2] register accepts a good body and refuses weak KDF parameters, bad names and extra fields', () => {
    expect(parseWith(registerRequest, register).ok).toBe(true);
    const bad: unknown[] = [
      { ...register, kdf: { name: 'PBKDF2-SHA256', iterations: 599_999 } },
      { ...register, kdf: { name: 'PBKDF2-SHA1', iterations: 600_000 } },
      { ...register, salt: toB64u(new Uint8Array(8)) },
      { ...register, username: 'Al' },
      { ...register, username: '-alice' },
      { ...register, password: 'hunter2' },
      { ...register, keys: { ...keys, extra: keys.signing } },
    ];
    for (const b of bad) expect(parseWith(registerRequest, b).ok, JSON.stringify(b).slice(0, 80)).toBe(false);
  });
});
