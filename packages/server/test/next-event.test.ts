// The server links each event it commits [R1] with the protocol's eventInputs on Node's native bytes (pooled
// buffers, native base64url): its hash and chain must equal the protocol's portable eventHash and nextChain (the
// spec) for any event: message fields of any length and value, non-ASCII senders, and membership changes.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  eventHash as protocolEventHash,
  nextChain,
  toB64u,
  type Envelope,
  type EventContent,
  type MemberEvent,
} from '@parley/protocol';
import { nextEvent } from '../src/storage/event-rows.ts';

/** The server's hash and chain for `e` after a tip at seq − 1 whose chain is `prev`, and the spec's. */
async function both(
  e: EventContent & { room: string; seq: number; ts: number; sender: string },
  prev: Uint8Array,
) {
  const tip = { seq: e.seq - 1, chain: prev, memberSeq: 0 };
  const { event } = nextEvent(e.room, tip, e.ts, e);
  const hash = await protocolEventHash(e);
  return {
    server: [event.hash, event.chain, tip.seq],
    spec: [toB64u(hash), toB64u(await nextChain(prev, hash)), e.seq],
  };
}

const b64u = (min: number, max = min) => fc.uint8Array({ minLength: min, maxLength: max }).map(toB64u);
const outer = {
  room: b64u(16),
  seq: fc.integer({ min: 1, max: 2 ** 40 }),
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

describe('nextEvent', () => {
  it('links any message as the protocol does: its hash and chain, and the tip advanced', async () => {
    await fc.assert(
      fc.asyncProperty(message, fc.uint8Array({ minLength: 32, maxLength: 32 }), async (e, prev) => {
        const { server, spec } = await both(e, prev);
        expect(server).toEqual(spec);
      }),
    );
  });

  it('links any membership change as the protocol does', async () => {
    await fc.assert(
      fc.asyncProperty(member, fc.uint8Array({ minLength: 32, maxLength: 32 }), async (e, prev) => {
        const { server, spec } = await both(e, prev);
        expect(server).toEqual(spec);
      }),
      { numRuns: 20 },
    );
  });

  it('refuses a base64url field that is not canonical rather than hashing other bytes', () => {
    const e = fc.sample(message, { numRuns: 1, seed: 1 })[0]!;
    const broken = { ...e, content: { ...e.content, iv: `${e.content.iv.slice(0, -1)}*` } };
    const tip = { seq: e.seq - 1, chain: new Uint8Array(32), memberSeq: 0 };
    expect(() => nextEvent(e.room, tip, e.ts, broken)).toThrow(/base64url/);
    expect(tip.seq).toBe(e.seq - 1);
  });
});
