// The room log's hash chain [R1] and head bytes [M5].
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  GENESIS_CHAIN,
  canonical,
  concatBytes,
  eventInputs,
  eventHash,
  fromB64u,
  headBytes,
  memberBytes,
  messageBytes,
  nextChain,
  type Envelope,
  type MemberEvent,
} from '@parley/protocol';
import { b64uOf, envelope, memberEvent, ROOM } from './fixtures.ts';
import { toHex } from './wycheproof.ts';

type LogEvent = Parameters<typeof eventHash>[0];
const sha = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

async function headOf(events: readonly LogEvent[]): Promise<string> {
  let chain: Uint8Array = GENESIS_CHAIN;
  for (const e of events) chain = await nextChain(chain, await eventHash(e));
  return toHex(chain);
}

const msgEvent = (seq: number, content: Envelope): LogEvent => ({
  room: ROOM,
  seq,
  ts: 1000 + seq,
  kind: 'message',
  sender: 'alice',
  content,
});
const memEvent = (seq: number, content: MemberEvent): LogEvent => ({
  room: ROOM,
  seq,
  ts: 1000 + seq,
  kind: 'member',
  sender: content.actor,
  content,
});

function sampleLog(): LogEvent[] {
  return [
    memEvent(1, memberEvent('create', 'alice', 'alice', { public: true })),
    memEvent(2, memberEvent('invite', 'alice', 'bob')),
    msgEvent(3, envelope()),
    msgEvent(4, envelope({ index: 1, counter: 2 })),
  ];
}

// Every field of every event, each with a generator of replacement values.
const outer = {
  room: b64uOf(16),
  seq: fc.nat(),
  ts: fc.nat(),
  sender: fc.constantFrom('alice', 'bob', 'carol', '@server'),
} as const;
const memberFields = {
  v: fc.constant(2),
  type: fc.constantFrom('create', 'invite', 'join', 'leave', 'kick', 'promote'),
  room: b64uOf(16),
  actor: fc.constantFrom('alice', 'bob', 'carol'),
  target: fc.constantFrom('alice', 'bob', 'carol'),
  eventId: b64uOf(16),
  ts: fc.nat(),
  name: fc.string({ minLength: 1, maxLength: 8 }),
  public: fc.constantFrom(true, false, undefined),
  signature: b64uOf(384),
} as const;
const envelopeFields = {
  v: fc.constant(2),
  room: b64uOf(16),
  sessionId: b64uOf(16),
  index: fc.nat(),
  iv: b64uOf(12),
  ciphertext: b64uOf(40),
  clientMsgId: b64uOf(16),
  counter: fc.integer({ min: 1 }),
  signature: b64uOf(384),
} as const;

type Mutation = { at: number; where: 'outer' | 'content'; field: string; value: unknown };
const mutation: fc.Arbitrary<Mutation> = fc.nat(3).chain((at) => {
  const content = at < 2 ? memberFields : envelopeFields;
  const pick = <T extends Record<string, fc.Arbitrary<unknown>>>(where: Mutation['where'], fields: T) =>
    fc
      .constantFrom(...Object.keys(fields))
      .chain((field) => fields[field]!.map((value): Mutation => ({ at, where, field, value })));
  return fc.oneof(pick('outer', outer), pick('content', content));
});

function apply(log: LogEvent[], m: Mutation): LogEvent[] {
  return log.map((e, i) => {
    if (i !== m.at) return e;
    if (m.where === 'outer') return { ...e, [m.field]: m.value };
    return { ...e, content: { ...e.content, [m.field]: m.value } } as LogEvent;
  });
}

describe('chain', () => {
  it('[R1] GENESIS is 32 zero bytes and chain_n = SHA-256(chain_{n-1} ‖ eventHash_n)', async () => {
    expect(GENESIS_CHAIN).toEqual(new Uint8Array(32));
    const h = new Uint8Array(32).fill(7);
    expect(await nextChain(GENESIS_CHAIN, h)).toEqual(sha(concatBytes(new Uint8Array(32), h)));
  });

  it('[R1] eventHash is SHA-256 of canonical("event", …) over the body with its signature', async () => {
    const [create, , msg] = sampleLog() as [LogEvent, LogEvent, LogEvent];
    for (const e of [create, msg]) {
      const { signature, ...unsigned } = e.content;
      const content = e.kind === 'member' ? memberBytes(e.content) : messageBytes(unsigned as never, e.sender);
      const body = canonical('event-body', [content, fromB64u(signature)]);
      const event = canonical('event', [e.room, e.seq, e.ts, e.kind, e.sender, body]);
      // The signed content is written inside the event, and handed out as a view of exactly its bytes.
      const inputs = eventInputs(e);
      expect(inputs.hashed).toEqual(event);
      expect(inputs.signed).toEqual(content);
      expect(inputs.signature).toEqual(fromB64u(signature));
      expect(await eventHash(e)).toEqual(sha(event));
    }
  });

  it('[R1] changing any field of any event changes the head', async () => {
    const log = sampleLog();
    const original = await headOf(log);
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        const before = log[m.at]!;
        const current =
          m.where === 'outer' ? before[m.field as keyof LogEvent] : (before.content as never)[m.field];
        // An absent `public` and `false` are one value ([R2] reads `public ?? false`), so that is no change.
        const changed = m.field === 'public' ? (current ?? false) !== (m.value ?? false) : current !== m.value;
        fc.pre(changed);
        expect(await headOf(apply(log, m))).not.toBe(original);
      }),
      { numRuns: 150 },
    );
  });

  it('[R1] dropping, reordering or replaying an event changes the head', async () => {
    const log = sampleLog();
    const original = await headOf(log);
    expect(await headOf(log.slice(0, 3))).not.toBe(original);
    expect(await headOf([log[0]!, log[2]!, log[1]!, log[3]!])).not.toBe(original);
    expect(await headOf([...log, log[3]!])).not.toBe(original);
    expect(await headOf(log)).toBe(original);
  });

  it('[M5] headBytes binds room, seq, ts and chain', () => {
    const chain = new Uint8Array(32).fill(9);
    const head = { room: ROOM, seq: 4, ts: 5, chain: Buffer.from(chain).toString('base64url') };
    expect(headBytes(head)).toEqual(canonical('head', [ROOM, 4, 5, chain]));
  });
});
