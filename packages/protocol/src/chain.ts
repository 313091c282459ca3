// The room log's hash chain [R1] and the server's head countersignature [M5].
import { concatBytes, fromB64u } from './bytes.ts';
import { canonical } from './canonical.ts';
import { sha256 } from './crypto/primitives.ts';
import { memberBytes } from './membership.ts';
import { messageBytes } from './crypto/message.ts';
import type { Head, MemberEvent, Envelope } from './wire.ts';

export const GENESIS_CHAIN = new Uint8Array(32);

export type EventContent = { kind: 'member'; content: MemberEvent } | { kind: 'message'; content: Envelope };

/** The canonical bytes of an event's signed content, signature included. */
export function eventBodyBytes(e: EventContent & { sender: string }): Uint8Array {
  const { signature, ...unsigned } = e.content;
  const contentBytes =
    e.kind === 'member' ? memberBytes(e.content) : messageBytes(unsigned as Omit<Envelope, 'signature'>, e.sender);
  return canonical('event-body', [contentBytes, fromB64u(signature)]);
}

export async function eventHash(
  e: EventContent & { room: string; seq: number; ts: number; sender: string },
): Promise<Uint8Array> {
  return sha256(canonical('event', [e.room, e.seq, e.ts, e.kind, e.sender, eventBodyBytes(e)]));
}

export const nextChain = (prev: Uint8Array, hash: Uint8Array): Promise<Uint8Array> =>
  sha256(concatBytes(prev, hash));

export const headBytes = (h: Omit<Head, 'signature'>): Uint8Array =>
  canonical('head', [h.room, h.seq, h.ts, fromB64u(h.chain)]);
