// The events table as every writer and reader sees it: a row and its RoomEvent, the tip of a room's log while
// a batch is written, and `nextEvent`, the one place the server assigns a seq and links the hash chain [R1].
import { hash as oneShotHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import { concatBytes, eventInputs, type EventContent, type NativeBytes, type RoomEvent } from '@parley/protocol';
import type { Database } from './schema.ts';
import type { AppendInput } from './store.ts';
import { contentJson, rememberContentJson } from './content-json.ts';

export type Trx = Transaction<Database>;
export type EventRow = Database['events'];

/** The tip of a room's log while a batch is written: not the signed head of the protocol [M5]. */
export interface LogTip {
  seq: number;
  chain: Uint8Array;
  /** Seq of the room's last membership change: the version of the membership cache [D6]. */
  memberSeq: number;
}

// Synchronous SHA-256 keeps the transaction short; it equals the protocol's WebCrypto nextChain.
const sha256 = (b: Uint8Array): Buffer => oneShotHash('sha256', b, 'buffer');

/**
 * The protocol's toB64u (unpadded base64url) by Node's native encoder: one string, where the portable
 * encoder builds it in pieces (about 2 KB of garbage per event for its hash and chain).
 */
export const nativeB64u = (b: Uint8Array): string =>
  Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');

/**
 * Node's pooled allocation and native base64url decoder, for the event's canonical bytes (protocol eventInputs):
 * the content was checked by the wire schemas, and the encoder fills the buffer whole.
 */
const nodeBytes: NativeBytes = {
  allocate: (size) => Buffer.allocUnsafe(size),
  writeB64u: (out, at, text) => asBuffer(out).write(text, at, 'base64url'),
};
/** A Buffer over the same memory: the encoder's output already is one, as `allocate` made it. */
const asBuffer = (b: Uint8Array): Buffer =>
  Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);

export function rowToEvent(r: EventRow): RoomEvent {
  const content = JSON.parse(r.content) as object;
  rememberContentJson(content, r.content);
  return {
    room: r.room,
    seq: Number(r.seq),
    ts: Number(r.ts),
    kind: r.kind,
    sender: r.sender,
    content,
    hash: r.hash,
    chain: r.chain,
  } as RoomEvent;
}

/**
 * The next event of a locked room: seq and chain link assigned, `tip` advanced, nothing written (the caller
 * inserts `row`).
 */
export function nextEvent(
  room: string,
  tip: LogTip,
  ts: number,
  e: EventContent & { sender: string },
): { event: RoomEvent; row: EventRow } {
  const seq = tip.seq + 1;
  // Built field by field, then hashed: a spread of `e` into the hash's input cost as much as the encoding.
  const event = {
    room,
    seq,
    ts,
    kind: e.kind,
    sender: e.sender,
    content: e.content,
    hash: '',
    chain: '',
  } as RoomEvent;
  const hash = sha256(eventInputs(event, nodeBytes).hashed);
  const chain = sha256(concatBytes(tip.chain, hash));
  event.hash = hash.toString('base64url');
  event.chain = chain.toString('base64url');
  const row: EventRow = {
    ...event,
    content: contentJson(e.content),
    client_msg_id: e.kind === 'message' ? e.content.clientMsgId : null,
    event_id: e.kind === 'member' ? e.content.eventId : null,
  };
  tip.seq = seq;
  tip.chain = chain;
  return { event, row };
}

/** [D6] The rooms a batch touches, in the one global order every writer takes their row locks in. */
export function lockOrder(items: readonly AppendInput[]): string[] {
  const rooms = new Set<string>();
  for (const i of items) {
    if (i.kind === 'message') rooms.add(i.envelope.room);
    else if (i.kind === 'member') rooms.add(i.event.room);
  }
  return [...rooms].sort();
}
