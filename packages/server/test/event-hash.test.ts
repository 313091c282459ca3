// The server's one-buffer event hash must equal the protocol's eventHash (the spec) for any event: message
// fields of any length and value, non-ASCII senders, and membership changes.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { eventHash as protocolEventHash, toB64u, type Envelope, type MemberEvent } from '@parley/protocol';
import { eventHash } from '../src/storage/event-hash.ts';

const b64u = (min: number, max = min) => fc.uint8Array({ minLength: min, maxLength: max }).map(toB64u);
const outer = {
  room: b64u(16),
  seq: fc.nat(),
  ts: fc.nat(),
  sender: fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
};

const message = fc.record({
  ...outer,
  kind: fc.constant('message' as const),
  content: fc.record({
    v: fc.constant(1 as const),
    room: b64u(16),
    sessionId: b64u(16),
    index: fc.nat(),
    memberSeq: fc.nat(),
    iv: b64u(12),
    ciphertext: b64u(0, 2000),
    commit: b64u(32),
    clientMsgId: b64u(16),
    counter: fc.integer({ min: 1 }),
    signature: b64u(384, 512),
  }) satisfies fc.Arbitrary<Envelope>,
});

const member = fc.record({
  ...outer,
  kind: fc.constant('member' as const),
  content: fc.record({
    v: fc.constant(1 as const),
    type: fc.constantFrom('create', 'invite', 'join', 'leave'),
    room: b64u(16),
    actor: fc.constantFrom('alice', 'bob'),
    target: fc.constantFrom('alice', 'carol'),
    eventId: b64u(16),
    ts: fc.nat(),
    signature: b64u(384),
  }) satisfies fc.Arbitrary<MemberEvent>,
});

describe('event hash', () => {
  it('equals the protocol eventHash for any message', async () => {
    await fc.assert(
      fc.asyncProperty(message, async (e) => {
        expect(toB64u(eventHash(e.room, e.seq, e.ts, e))).toBe(toB64u(await protocolEventHash(e)));
      }),
    );
  });

  it('equals the protocol eventHash for membership changes', async () => {
    await fc.assert(
      fc.asyncProperty(member, async (e) => {
        expect(toB64u(eventHash(e.room, e.seq, e.ts, e))).toBe(toB64u(await protocolEventHash(e)));
      }),
      { numRuns: 20 },
    );
  });

  it('refuses a base64url field that is not canonical rather than hashing other bytes', () => {
    const e = fc.sample(message, { numRuns: 1, seed: 1 })[0]!;
    const broken = { ...e, content: { ...e.content, iv: `${e.content.iv.slice(0, -1)}*` } };
    expect(() => eventHash(e.room, e.seq, e.ts, broken)).toThrow(/base64url/);
  });
});
