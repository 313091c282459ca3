// The sender-key hash ratchet [M1] (as Megolm / Signal sender keys).
import { hmacSha256 } from './primitives.ts';

const MESSAGE_KEY_INPUT = Uint8Array.of(0x01);
const CHAIN_KEY_INPUT = Uint8Array.of(0x02);

export const messageKey = (chainKey: Uint8Array): Promise<Uint8Array> => hmacSha256(chainKey, MESSAGE_KEY_INPUT);
export const nextChainKey = (chainKey: Uint8Array): Promise<Uint8Array> => hmacSha256(chainKey, CHAIN_KEY_INPUT);

/** Advances a chain key from index `from` to index `to` (to ≥ from); going back is impossible by design. */
export async function ratchetTo(chainKey: Uint8Array, from: number, to: number): Promise<Uint8Array> {
  if (to < from) throw new RangeError(`ratchetTo: cannot go back from ${from} to ${to}`);
  let key = chainKey;
  for (let i = from; i < to; i++) key = await nextChainKey(key);
  return key;
}
