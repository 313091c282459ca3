// Small builders shared by the protocol tests. Signatures here are placeholders: the folds and hashes under
// test treat them as opaque bytes; suites that check signatures make real ones.
import fc from 'fast-check';
import { toB64u, type Envelope, type MemberEvent, type MemberType } from '@parley/protocol';

export const ROOM = toB64u(Uint8Array.from({ length: 16 }, (_, i) => i + 1));

export const fakeSignature = (seed: number): string => toB64u(new Uint8Array(384).fill(seed & 0xff));
export const id16 = (seed: number): string => toB64u(new Uint8Array(16).fill(seed & 0xff));

let nextEventId = 0;
/** A fresh event id per call (distinct for the first 2^32 calls), so only deliberate replays repeat one. */
export function freshEventId(): string {
  const bytes = new Uint8Array(16);
  new DataView(bytes.buffer).setUint32(0, ++nextEventId);
  return toB64u(bytes);
}

export function memberEvent(
  type: MemberType,
  actor: string,
  target: string,
  extra: Partial<MemberEvent> = {},
): MemberEvent {
  return {
    v: 1,
    type,
    room: ROOM,
    actor,
    target,
    eventId: freshEventId(),
    ts: 1_700_000_000_000,
    ...(type === 'create' ? { name: 'general' } : {}),
    signature: fakeSignature(1),
    ...extra,
  };
}

export function envelope(extra: Partial<Envelope> = {}): Envelope {
  return {
    v: 1,
    room: ROOM,
    sessionId: id16(2),
    index: 0,
    memberSeq: 1,
    iv: toB64u(new Uint8Array(12).fill(3)),
    ciphertext: toB64u(new Uint8Array(40).fill(4)),
    commit: toB64u(new Uint8Array(32).fill(8)),
    clientMsgId: id16(5),
    counter: 1,
    signature: fakeSignature(6),
    ...extra,
  };
}

/** Arbitrary canonical b64u of exactly `n` bytes. */
export const b64uOf = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map(toB64u);
