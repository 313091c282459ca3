// The room log's hash chain [R1] and the server's head countersignature [M5].
import { concatBytes, fromB64u } from './bytes.ts';
import { B64u, Canonical, canonical, encodeCanonical, writtenBytes, type NativeBytes } from './canonical.ts';
import { sha256 } from './crypto/primitives.ts';
import { memberBytes } from './membership.ts';
import { messageFields } from './crypto/message.ts';
import type { Head, MemberEvent, Envelope } from './wire.ts';

export const GENESIS_CHAIN = new Uint8Array(32);

export type EventContent = { kind: 'member'; content: MemberEvent } | { kind: 'message'; content: Envelope };

type LogEvent = EventContent & { room: string; seq: number; ts: number; sender: string };

/**
 * What a reader checks of one event, with the content's canonical bytes built once for both checks: `hashed`,
 * whose SHA-256 is the event's hash [R1], and `signed` + `signature`, the author's signature input [M4] [R2].
 * The signed message is written in place inside the event (a view of it), so the event costs one buffer.
 */
export function eventInputs(
  e: LogEvent,
  native?: NativeBytes,
): { hashed: Uint8Array; signed: Uint8Array; signature: Uint8Array } {
  // A membership event (rare) is signed as its own bytes; a message is nested unwritten.
  const signed = e.kind === 'member' ? memberBytes(e.content) : messageFields(e.content, e.sender);
  const signature = new B64u(e.content.signature);
  const body = new Canonical('event-body', [signed, signature]);
  const hashed = encodeCanonical(new Canonical('event', [e.room, e.seq, e.ts, e.kind, e.sender, body]), native);
  return {
    hashed,
    signed: signed instanceof Canonical ? writtenBytes(signed) : signed,
    signature: writtenBytes(signature),
  };
}

export async function eventHash(e: LogEvent): Promise<Uint8Array> {
  return sha256(eventInputs(e).hashed);
}

export const nextChain = (prev: Uint8Array, hash: Uint8Array): Promise<Uint8Array> =>
  sha256(concatBytes(prev, hash));

export const headBytes = (h: Omit<Head, 'signature'>): Uint8Array =>
  canonical('head', [h.room, h.seq, h.ts, fromB64u(h.chain)]);
