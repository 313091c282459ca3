// The sender-key hash ratchet [M1] (as Megolm / Signal sender keys).
import { hmacSha256, importHmacKey } from './primitives.ts';

const MESSAGE_KEY_INPUT = Uint8Array.of(0x01);
const CHAIN_KEY_INPUT = Uint8Array.of(0x02);
const COMMIT_INPUT = Uint8Array.of(0x03);

export const messageKey = (chainKey: Uint8Array): Promise<Uint8Array> => hmacSha256(chainKey, MESSAGE_KEY_INPUT);
export const nextChainKey = (chainKey: Uint8Array): Promise<Uint8Array> => hmacSha256(chainKey, CHAIN_KEY_INPUT);
/**
 * [M9] The key commitment at an index: a third MAC under the chain key that also yields the message key. It is
 * signed with the envelope, so members given different chain keys for one session cannot all open it.
 */
export const keyCommitment = (chainKey: Uint8Array): Promise<Uint8Array> => hmacSha256(chainKey, COMMIT_INPUT);

export interface RatchetStep {
  /** The chain key at the next index. */
  next: Uint8Array;
  /** The message key at this index, when asked for. */
  messageKey?: Uint8Array;
  /** The key commitment at this index, with the message key. */
  commit?: Uint8Array;
}

/**
 * One step from the chain key at some index: the next chain key and, when `withMessageKey`, this index's
 * message key and key commitment, all HMACs under one key import (the MACs of messageKey, nextChainKey and
 * keyCommitment).
 */
export async function ratchetStep(chainKey: Uint8Array, withMessageKey: boolean): Promise<RatchetStep> {
  const key = await importHmacKey(chainKey);
  if (!withMessageKey) return { next: await hmacSha256(key, CHAIN_KEY_INPUT) };
  const [next, message, commit] = await Promise.all([
    hmacSha256(key, CHAIN_KEY_INPUT),
    hmacSha256(key, MESSAGE_KEY_INPUT),
    hmacSha256(key, COMMIT_INPUT),
  ]);
  return { next, messageKey: message, commit };
}

/** Advances a chain key from index `from` to index `to` (to ≥ from); going back is impossible by design. */
export async function ratchetTo(chainKey: Uint8Array, from: number, to: number): Promise<Uint8Array> {
  if (to < from) throw new RangeError(`ratchetTo: cannot go back from ${from} to ${to}`);
  let key = chainKey;
  for (let i = from; i < to; i++) key = await nextChainKey(key);
  return key;
}
