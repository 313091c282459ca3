// Signed membership [R2]: signatures are checked here against the actor's stored signing key (async, outside
// the transaction); the rules are enforced by the same applyMembership fold inside the group commit.
import {
  importPublicKey,
  fromB64u,
  memberBytes,
  verifyMemberEvent,
  randomId,
  toB64u,
  SERVER_ACTOR,
  type MemberEvent,
} from '@parley/protocol';
import { createHmac } from 'node:crypto';
import { AppError } from '../errors.ts';
import type { Store, RoomSummaryRecord } from '../storage/store.ts';
import type { Sequencer } from '../realtime/sequencer.ts';
import type { ServerKey } from '../security/server-key.ts';

export class RoomService {
  /** Public keys never change for a user (password change keeps them), so imports are cached. */
  private readonly keys = new Map<string, CryptoKey>();

  constructor(
    private readonly store: Store,
    private readonly sequencer: Sequencer,
  ) {}

  private async signingKey(user: string): Promise<CryptoKey | undefined> {
    const cached = this.keys.get(user);
    if (cached) return cached;
    const record = await this.store.getUser(user);
    const key = record && (await importPublicKey('signing', fromB64u(record.keys.signing.public)));
    if (key) this.keys.set(user, key);
    return key ?? undefined;
  }

  private async check(user: string, room: string, e: MemberEvent): Promise<void> {
    if (e.room !== room) throw new AppError('BAD_REQUEST', 'the event names another room');
    if (e.actor !== user) throw new AppError('FORBIDDEN', 'you may only post membership events you signed');
    if (e.target === SERVER_ACTOR) throw new AppError('MEMBERSHIP_RULE', 'the server is never a member');
    if ((await this.store.userExists([e.target])).size === 0)
      throw new AppError('NOT_FOUND', `no user ${e.target}`);
    const key = await this.signingKey(e.actor);
    if (!key || !(await verifyMemberEvent(e, key))) {
      throw new AppError('BAD_SIGNATURE', `the ${e.type} event is not signed by ${e.actor}`);
    }
  }

  async create(user: string, create: MemberEvent, invites: readonly MemberEvent[]): Promise<RoomSummaryRecord> {
    if (create.type !== 'create') throw new AppError('BAD_REQUEST', 'create.type must be "create"');
    for (const e of [create, ...invites]) await this.check(user, create.room, e);
    const events = await this.sequencer.submit({ kind: 'create', create, invites });
    return {
      id: create.room,
      name: create.name ?? '',
      public: create.public ?? false,
      role: 'admin',
      headSeq: events.length,
    };
  }

  async post(user: string, room: string, e: MemberEvent): Promise<number> {
    if (e.type === 'create') throw new AppError('BAD_REQUEST', 'create a room with POST /api/rooms');
    await this.check(user, room, e);
    const [event] = await this.sequencer.submit({ kind: 'member', event: e });
    // Key shares still waiting for someone who left are of no use to them and need not be kept [M3].
    if (e.type === 'leave' || e.type === 'kick') await this.store.dropPending(room, e.target);
    return event!.seq;
  }
}

/** [R3] "general": a stable id per server (derived from its secret), created once, by the server. */
export async function ensureGeneralRoom(deps: {
  store: Store;
  sequencer: Sequencer;
  serverKey: ServerKey;
  serverSecret: Uint8Array;
}): Promise<string> {
  const room = toB64u(createHmac('sha256', deps.serverSecret).update('general-room').digest().subarray(0, 16));
  if (await deps.store.getRoom(room, SERVER_ACTOR)) return room;
  const unsigned = {
    v: 1 as const,
    type: 'create' as const,
    room,
    actor: SERVER_ACTOR,
    target: SERVER_ACTOR,
    eventId: randomId(),
    ts: Date.now(),
    name: 'general',
    public: true,
  };
  const signature = toB64u(await deps.serverKey.sign(memberBytes(unsigned)));
  try {
    await deps.sequencer.submit({ kind: 'create', create: { ...unsigned, signature }, invites: [] });
  } catch (err) {
    // Several processes starting at once [D6]: another one created it first.
    if (!(err instanceof AppError && err.code === 'CONFLICT')) throw err;
  }
  return room;
}
