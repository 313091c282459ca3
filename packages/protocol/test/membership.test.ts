// The shared membership fold [R2] [R3]: properties over random event sequences, plus real signatures.
import { describe, expect, it, beforeAll } from 'vitest';
import fc from 'fast-check';
import {
  EMPTY_ROOM,
  MEMBER_TYPES,
  SERVER_ACTOR,
  applyMembership,
  generateRsaKeyPair,
  signMemberEvent,
  verifyMemberEvent,
  type MemberEvent,
  type MemberType,
  type RoomState,
} from '@parley/protocol';
import { id16, memberEvent, ROOM } from './fixtures.ts';

const USERS = ['alice', 'bob', 'carol', 'dave', SERVER_ACTOR] as const;

// Alice, the usual creator, acts most often so admin-only events get through; a small pool of event ids
// makes random sequences replay ids often.
const user = fc.oneof(
  { arbitrary: fc.constant('alice'), weight: 2 },
  { arbitrary: fc.constantFrom(...USERS), weight: 3 },
);
const eventArb: fc.Arbitrary<MemberEvent> = fc
  .record({
    // Kicks need an admin, another member and no replay: weight the types so they still happen often.
    type: fc.oneof(
      { arbitrary: fc.constantFrom<MemberType>('invite', 'kick'), weight: 3 },
      { arbitrary: fc.constantFrom(...MEMBER_TYPES), weight: 4 },
    ),
    actor: user,
    target: fc.constantFrom(...USERS),
    eventId: fc.noBias(fc.nat(30)).map(id16),
    isPublic: fc.constantFrom(true, false, undefined),
    // Self-targeted events are the only valid join / leave / create: make them common.
    self: fc.nat(2).map((n) => n === 0),
  })
  .map(({ type, actor, target, eventId, isPublic, self }) =>
    memberEvent(type, actor, self ? actor : target, {
      eventId,
      ...(isPublic === undefined ? {} : { public: isPublic }),
    }),
  );
const createArb = fc
  .record({ actor: user, isPublic: fc.boolean() })
  .map(({ actor, isPublic }) => memberEvent('create', actor, actor, { eventId: id16(200), public: isPublic }));
const sequenceArb = fc.tuple(
  fc.option(createArb, { freq: 4 }),
  fc.array(eventArb, { maxLength: 30, size: 'max' }),
);

/** The rules of docs/protocol.md §3, written out independently of membership.ts. */
function allowed(s: RoomState, e: MemberEvent): boolean {
  const self = e.actor === e.target;
  if (!s.created)
    return e.type === 'create' && self && !!e.name && (e.actor !== SERVER_ACTOR || e.public === true);
  if (e.type === 'create' || s.eventIds.has(e.eventId)) return false;
  if (e.actor === SERVER_ACTOR || e.target === SERVER_ACTOR) return false;
  const isAdmin = s.members.get(e.actor) === 'admin';
  const targetIsMember = s.members.has(e.target);
  const rules: Record<Exclude<MemberType, 'create'>, boolean> = {
    invite: isAdmin && !targetIsMember,
    join: self && s.public && !targetIsMember,
    leave: self && targetIsMember,
    kick: isAdmin && !self && targetIsMember,
    promote: isAdmin && targetIsMember,
  };
  return rules[e.type];
}

/** What an accepted event must have done to the members, everyone but the target unchanged. */
function checkEffect(before: RoomState, after: RoomState, e: MemberEvent): void {
  const expected = new Map(before.members);
  if (e.type === 'create' && e.actor !== SERVER_ACTOR) expected.set(e.actor, 'admin');
  if (e.type === 'invite' || e.type === 'join') expected.set(e.target, 'member');
  if (e.type === 'leave' || e.type === 'kick') expected.delete(e.target);
  if (e.type === 'promote') expected.set(e.target, 'admin');
  expect(after.members).toEqual(expected);
  expect(after.eventIds.has(e.eventId)).toBe(true);
  expect(after.created).toBe(true);
}

describe('applyMembership', () => {
  it('[R2] [R3] over random sequences: exactly the allowed events apply, with exactly their effect', () => {
    const acceptedTypes = new Set<MemberType>();
    fc.assert(
      fc.property(sequenceArb, ([create, rest]) => {
        let state = EMPTY_ROOM;
        for (const e of create ? [create, ...rest] : rest) {
          const result = applyMembership(state, e);
          expect(result.ok, `${e.type} by ${e.actor} on ${e.target}`).toBe(allowed(state, e));
          if (result.ok) {
            checkEffect(state, result.state, e);
            acceptedTypes.add(e.type);
            state = result.state;
          } else {
            expect(result.error.length).toBeGreaterThan(0);
          }
          expect(state.members.has(SERVER_ACTOR)).toBe(false);
        }
      }),
      { numRuns: 400 },
    );
    // The generator really exercised every kind of accepted event, not only rejections.
    expect([...acceptedTypes].sort()).toEqual([...MEMBER_TYPES].sort());
  });

  it('[R2] only admins invite, kick and promote', () => {
    let s = ok(applyMembership(EMPTY_ROOM, memberEvent('create', 'alice', 'alice')));
    s = ok(applyMembership(s, memberEvent('invite', 'alice', 'bob')));
    for (const type of ['invite', 'kick', 'promote'] as const) {
      expect(applyMembership(s, memberEvent(type, 'bob', type === 'invite' ? 'carol' : 'alice')).ok).toBe(false);
    }
    s = ok(applyMembership(s, memberEvent('promote', 'alice', 'bob')));
    s = ok(applyMembership(s, memberEvent('kick', 'bob', 'alice')));
    expect([...s.members]).toEqual([['bob', 'admin']]);
  });

  it('[R2] join only a public room; leave only yourself; kick never yourself', () => {
    const priv = ok(applyMembership(EMPTY_ROOM, memberEvent('create', 'alice', 'alice', { public: false })));
    expect(applyMembership(priv, memberEvent('join', 'bob', 'bob')).ok).toBe(false);
    const pub = ok(applyMembership(EMPTY_ROOM, memberEvent('create', 'alice', 'alice', { public: true })));
    const joined = ok(applyMembership(pub, memberEvent('join', 'bob', 'bob')));
    expect(applyMembership(joined, memberEvent('join', 'carol', 'bob')).ok).toBe(false);
    expect(applyMembership(joined, memberEvent('leave', 'alice', 'bob')).ok).toBe(false);
    expect(applyMembership(joined, memberEvent('kick', 'alice', 'alice')).ok).toBe(false);
    expect(ok(applyMembership(joined, memberEvent('leave', 'bob', 'bob'))).members.has('bob')).toBe(false);
  });

  it('[R2] a replayed eventId is rejected, even for an otherwise valid event', () => {
    const s = ok(applyMembership(EMPTY_ROOM, memberEvent('create', 'alice', 'alice')));
    const invite = memberEvent('invite', 'alice', 'bob');
    const afterInvite = ok(applyMembership(s, invite));
    const afterLeave = ok(applyMembership(afterInvite, memberEvent('leave', 'bob', 'bob')));
    expect(applyMembership(afterLeave, invite)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/replay/),
    });
  });

  it('[R2] create only as the first event, self-targeted and named; nothing before it', () => {
    expect(applyMembership(EMPTY_ROOM, memberEvent('invite', 'alice', 'bob')).ok).toBe(false);
    expect(applyMembership(EMPTY_ROOM, memberEvent('create', 'alice', 'bob')).ok).toBe(false);
    expect(applyMembership(EMPTY_ROOM, memberEvent('create', 'alice', 'alice', { name: '' })).ok).toBe(false);
    const s = ok(applyMembership(EMPTY_ROOM, memberEvent('create', 'alice', 'alice')));
    expect(applyMembership(s, memberEvent('create', 'alice', 'alice')).ok).toBe(false);
  });

  it('[R3] the server creates only public rooms and never becomes a member, not even by invite or join', () => {
    expect(applyMembership(EMPTY_ROOM, memberEvent('create', SERVER_ACTOR, SERVER_ACTOR)).ok).toBe(false);
    const general = memberEvent('create', SERVER_ACTOR, SERVER_ACTOR, { public: true });
    let s = ok(applyMembership(EMPTY_ROOM, general));
    expect(s.members.size).toBe(0);
    expect(applyMembership(s, memberEvent('join', SERVER_ACTOR, SERVER_ACTOR)).ok).toBe(false);
    s = ok(applyMembership(s, memberEvent('join', 'alice', 'alice')));
    expect(applyMembership(s, memberEvent('invite', 'alice', SERVER_ACTOR)).ok).toBe(false);
    expect([...s.members]).toEqual([['alice', 'member']]);
  });

  it('[§0] an event of another protocol version is rejected', () => {
    const e = { ...memberEvent('create', 'alice', 'alice'), v: 2 } as unknown as MemberEvent;
    expect(applyMembership(EMPTY_ROOM, e).ok).toBe(false);
  });
});

describe('membership signatures', () => {
  let pair: CryptoKeyPair;
  let other: CryptoKeyPair;
  beforeAll(async () => {
    [pair, other] = await Promise.all([generateRsaKeyPair('signing'), generateRsaKeyPair('signing')]);
  });

  it('[R2] a signed event verifies under the actor key only, and not after any field changes', async () => {
    const { signature: _, ...unsigned } = memberEvent('invite', 'alice', 'bob');
    const signed = await signMemberEvent(unsigned, pair.privateKey);
    expect(await verifyMemberEvent(signed, pair.publicKey)).toBe(true);
    expect(await verifyMemberEvent(signed, other.publicKey)).toBe(false);
    const changes: Partial<MemberEvent>[] = [
      { type: 'kick' },
      { room: id16(99) },
      { actor: 'carol' },
      { target: 'dave' },
      { eventId: id16(98) },
      { ts: signed.ts + 1 },
      { name: 'x' },
      { public: true },
      { history: 'shared' },
      { history: 'joined' },
    ];
    for (const change of changes) {
      expect(await verifyMemberEvent({ ...signed, ...change }, pair.publicKey), JSON.stringify(change)).toBe(
        false,
      );
    }
    expect(await verifyMemberEvent({ ...signed, v: 2 } as unknown as MemberEvent, pair.publicKey)).toBe(false);
    expect(signed.room).toBe(ROOM);
  });

  it('[R5] the history setting is signed with the create event: the server cannot flip it', async () => {
    const { signature: _, ...unsigned } = memberEvent('create', 'alice', 'alice', { history: 'joined' });
    const signed = await signMemberEvent(unsigned, pair.privateKey);
    expect(await verifyMemberEvent(signed, pair.publicKey)).toBe(true);
    expect(await verifyMemberEvent({ ...signed, history: 'shared' }, pair.publicKey)).toBe(false);
    const { history: __, ...dropped } = signed;
    expect(await verifyMemberEvent(dropped, pair.publicKey)).toBe(false);
  });
});

describe('[R5] history', () => {
  it('is set by the create event ("joined" when it says nothing), and by no other event', () => {
    expect(ok(applyMembership(EMPTY_ROOM, memberEvent('create', 'alice', 'alice'))).history).toBe('joined');
    const shared = ok(applyMembership(EMPTY_ROOM, memberEvent('create', 'alice', 'alice', { history: 'shared' })));
    expect(shared.history).toBe('shared');
    const flip = applyMembership(shared, memberEvent('invite', 'alice', 'bob', { history: 'joined' }));
    expect(flip).toEqual({ ok: false, error: 'who reads earlier messages is chosen when the room is created' });
  });
});

function ok(r: ReturnType<typeof applyMembership>): RoomState {
  if (!r.ok) throw new Error(`expected the event to apply: ${r.error}`);
  return r.state;
}
