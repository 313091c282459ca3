// The room log's hash chain [R1] and the server's head countersignature [M5].
import { concatBytes, fromB64u } from './bytes.ts';
import { canonical } from './canonical.ts';
import { sha256 } from './crypto/primitives.ts';
import { memberBytes } from './membership.ts';
import { messageBytes } from './crypto/message.ts';
import type { Head, MemberEvent, Envelope } from './wire.ts';

export const GENESIS_CHAIN = new Uint8Array(32);

export type EventContent = { kind: 'member'; content: MemberEvent } | { kind: 'message'; content: Envelope };

type LogEvent = EventContent & { room: string; seq: number; ts: number; sender: string };

/** What the event's author signed ([M4] messageBytes, [R2] memberBytes) and the signature, decoded. */
function signedContent(e: EventContent & { sender: string }): { signed: Uint8Array; signature: Uint8Array } {
  const { signature, ...unsigned } = e.content;
  const signed =
    e.kind === 'member' ? memberBytes(e.content) : messageBytes(unsigned as Omit<Envelope, 'signature'>, e.sender);
  return { signed, signature: fromB64u(signature) };
}

/** The canonical bytes of an event's signed content, signature included. */
export function eventBodyBytes(e: EventContent & { sender: string }): Uint8Array {
  const { signed, signature } = signedContent(e);
  return canonical('event-body', [signed, signature]);
}

/**
 * What a reader checks of one event, with the content's canonical bytes built once for both checks: `hashed`,
 * whose SHA-256 is the event's hash [R1], and `signed` + `signature`, the author's signature input [M4] [R2].
 */
export function eventInputs(e: LogEvent): { hashed: Uint8Array; signed: Uint8Array; signature: Uint8Array } {
  const { signed, signature } = signedContent(e);
  const body = canonical('event-body', [signed, signature]);
  return { hashed: canonical('event', [e.room, e.seq, e.ts, e.kind, e.sender, body]), signed, signature };
}

export async function eventHash(e: LogEvent): Promise<Uint8Array> {
  return sha256(eventInputs(e).hashed);
}

export const nextChain = (prev: Uint8Array, hash: Uint8Array): Promise<Uint8Array> =>
  sha256(concatBytes(prev, hash));

export const headBytes = (h: Omit<Head, 'signature'>): Uint8Array =>
  canonical('head', [h.room, h.seq, h.ts, fromB64u(h.chain)]);
