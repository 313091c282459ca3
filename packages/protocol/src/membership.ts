// Signed membership [R2]: one pure fold over the room log that the server runs to enforce and every client
// runs again to verify, so the two can never disagree on who is a member.
import { fromB64u, toB64u } from './bytes.ts';
import { canonical } from './canonical.ts';
import { rsaSign, rsaVerify } from './crypto/primitives.ts';
import { PROTOCOL_VERSION, SERVER_ACTOR, type HistoryVisibility, type MemberEvent } from './wire.ts';

export type UnsignedMemberEvent = Omit<MemberEvent, 'signature'>;

export const memberBytes = (e: UnsignedMemberEvent): Uint8Array =>
  canonical('member', [
    e.v,
    e.room,
    e.type,
    e.actor,
    e.target,
    fromB64u(e.eventId),
    e.ts,
    e.name ?? '',
    e.public ?? false,
    // [R5] Signed when present; events from before it was added keep their nine fields (and signatures).
    ...(e.history === undefined ? [] : [e.history]),
  ]);

export async function signMemberEvent(e: UnsignedMemberEvent, signingKey: CryptoKey): Promise<MemberEvent> {
  return { ...e, signature: toB64u(await rsaSign(signingKey, memberBytes(e))) };
}

export function verifyMemberEvent(e: MemberEvent, actorSigningKey: CryptoKey): Promise<boolean> {
  const { signature, ...unsigned } = e;
  if (unsigned.v !== PROTOCOL_VERSION) return Promise.resolve(false);
  return rsaVerify(actorSigningKey, fromB64u(signature), memberBytes(unsigned));
}

export type Role = 'admin' | 'member';

export interface RoomState {
  readonly created: boolean;
  readonly name: string;
  readonly public: boolean;
  /** [R5] From the create event; "joined" when it says nothing. */
  readonly history: HistoryVisibility;
  readonly members: ReadonlyMap<string, Role>;
  readonly eventIds: ReadonlySet<string>;
}

export const EMPTY_ROOM: RoomState = {
  created: false,
  name: '',
  public: false,
  history: 'joined',
  members: new Map(),
  eventIds: new Set(),
};

export type MembershipResult = { ok: true; state: RoomState } | { ok: false; error: string };

function ruleError(e: MemberEvent, s: RoomState): string | null {
  if (!s.created) {
    if (e.type !== 'create') return 'the first event of a room must be its create event';
    if (e.actor !== e.target) return 'create must name its actor as target';
    if (e.actor === SERVER_ACTOR && e.public !== true) return 'the server may only create public rooms';
    if (!e.name) return 'create must name the room';
    return null;
  }
  if (e.type === 'create') return 'the room already exists';
  if (e.history !== undefined) return 'who reads earlier messages is chosen when the room is created';
  if (s.eventIds.has(e.eventId)) return 'this membership event was already applied (replay)';
  // The server only ever creates a room; if it could be invited or join, it could read every message [R2].
  if (e.actor === SERVER_ACTOR || e.target === SERVER_ACTOR) return 'the server never takes part in membership';
  const actorRole = s.members.get(e.actor);
  const targetRole = s.members.get(e.target);
  switch (e.type) {
    case 'invite':
      if (actorRole !== 'admin') return 'only an admin may invite';
      return targetRole ? `${e.target} is already a member` : null;
    case 'join':
      if (e.actor !== e.target) return 'join is for yourself; an admin invites others';
      if (!s.public) return 'this room is private: ask an admin for an invite';
      return targetRole ? `${e.target} is already a member` : null;
    case 'leave':
      if (e.actor !== e.target) return 'leave is for yourself; an admin kicks others';
      return actorRole ? null : `${e.actor} is not a member`;
    case 'kick':
      if (actorRole !== 'admin') return 'only an admin may kick';
      if (e.actor === e.target) return 'leave instead of kicking yourself';
      return targetRole ? null : `${e.target} is not a member`;
    case 'promote':
      if (actorRole !== 'admin') return 'only an admin may promote';
      return targetRole ? null : `${e.target} is not a member`;
  }
}

/** Applies one membership event (its signature already verified) or says which rule it breaks. */
export function applyMembership(state: RoomState, e: MemberEvent): MembershipResult {
  if (e.v !== PROTOCOL_VERSION) return { ok: false, error: `unsupported protocol version ${String(e.v)}` };
  const error = ruleError(e, state);
  if (error) return { ok: false, error };
  const members = new Map(state.members);
  const eventIds = new Set(state.eventIds).add(e.eventId);
  let { name, public: isPublic, history } = state;
  switch (e.type) {
    case 'create':
      name = e.name ?? '';
      isPublic = e.public ?? false;
      history = e.history ?? 'joined';
      if (e.actor !== SERVER_ACTOR) members.set(e.actor, 'admin');
      break;
    case 'invite':
    case 'join':
      members.set(e.target, 'member');
      break;
    case 'leave':
    case 'kick':
      members.delete(e.target);
      break;
    case 'promote':
      members.set(e.target, 'admin');
      break;
  }
  return { ok: true, state: { created: true, name, public: isPublic, history, members, eventIds } };
}
