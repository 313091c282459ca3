// Messages, the steady state of the log: one write path per backend behind Store.appendBatch
// (sqlite-messages.ts, postgres-messages.ts). Both decide through `writeMessages` below, so who may post
// [R2], the membership version [M11], resends [D2] and the hash chain [R1] are decided in one place; a backend
// supplies only its transaction, its row locks and its two table operations. Membership changes are
// room-log.ts.
import type { RoomEvent } from '@parley/protocol';
import type { AppendInput, AppendResult } from './store.ts';
import type { MemberCache } from './member-cache.ts';
import { nextEvent, type EventRow, type LogTip } from './event-rows.ts';

export type MessageInput = Extract<AppendInput, { kind: 'message' }>;

export interface MessageWriter {
  /** Commits the messages in one transaction: one result per item, in order; durable when it resolves [D1]. */
  append(items: readonly MessageInput[], ts: number, cache: MemberCache): Promise<AppendResult[]>;
  /** Resolves once no committed batch waits for its flush: reads show nothing a crash could take back. */
  settled(): Promise<void>;
  close(): void;
}

/** What a backend does for `writeMessages`, inside its transaction, the batch's rooms locked. */
export interface MessageTable {
  /** The event this sender stored earlier under this client message id [D2], if any. */
  earlier(item: MessageInput): RoomEvent | undefined;
  /** Writes (or queues) the row; false when the store already holds its client message id. */
  insert(row: EventRow): boolean;
}

const NOT_MEMBER: AppendResult = { ok: false, code: 'NOT_MEMBER', message: 'you are not a member of this room' };

/**
 * [M11] A message encrypted for the membership at `named`, after a later change at `current`: refused, so a
 * kick racing a send never lets the removed member read it. The sender folds again and re-encrypts.
 */
const membershipChanged = (current: number, named: number): AppendResult => ({
  ok: false,
  code: 'MEMBERSHIP_CHANGED',
  message: `the room's membership changed at seq ${current}, after this message was encrypted (for seq ${named}): encrypt it again`,
});

/** One message of one sender in one room: what the [D2] index holds unique. */
export const messageKey = (room: string, sender: string, clientMsgId: string | null): string =>
  `${room}\n${sender}\n${clientMsgId}`;

const resent = (event: RoomEvent): AppendResult => ({ ok: true, events: [event], duplicate: true });

/**
 * The batch's events, written through `table`, with `tips` (the locked rooms) advanced: one result per item.
 * A resend [D2] gets its original event whatever happened since (the sender may have left, the membership may
 * have changed); the unique index finds it, so a fresh message costs no lookup.
 */
export function writeMessages(
  items: readonly MessageInput[],
  ts: number,
  tips: ReadonlyMap<string, LogTip>,
  members: ReadonlyMap<string, ReadonlySet<string>>,
  table: MessageTable,
): AppendResult[] {
  const written = new Map<string, RoomEvent>();
  return items.map((item): AppendResult => {
    const { room, clientMsgId, memberSeq } = item.envelope;
    const key = messageKey(room, item.sender, clientMsgId);
    const inBatch = written.get(key);
    if (inBatch) return resent(inBatch);
    const tip = tips.get(room);
    const refusal =
      !tip || !members.get(room)?.has(item.sender)
        ? NOT_MEMBER
        : memberSeq < tip.memberSeq
          ? membershipChanged(tip.memberSeq, memberSeq)
          : null;
    if (refusal || !tip) {
      const earlier = table.earlier(item);
      return earlier ? resent(earlier) : refusal!;
    }
    const before = { seq: tip.seq, chain: tip.chain };
    const { event, row } = nextEvent(room, tip, ts, {
      kind: 'message',
      content: item.envelope,
      sender: item.sender,
    });
    if (!table.insert(row)) {
      tip.seq = before.seq;
      tip.chain = before.chain;
      const earlier = table.earlier(item);
      if (!earlier) throw new Error('a client message id is taken, but no event holds it');
      return resent(earlier);
    }
    written.set(key, event);
    return { ok: true, events: [event], duplicate: false };
  });
}
