// Chain keys already ratcheted to, per inbound session [M1]: reading a page of a session's messages ratchets
// once from the stored earliest key instead of once per message. Only forward steps from the stored earliest
// key are cached, so nothing here lets the client read more than that key already allows.
import { fromB64u, nextChainKey } from '@parley/protocol';

/** Sessions whose chain keys are kept (least recently used beyond this are dropped). */
const MAX_SESSIONS = 256;

interface Entry {
  /** The stored earliest chain key (b64u) and index the keys below were derived from. */
  base: string;
  baseIndex: number;
  keys: Map<number, Uint8Array>;
}

export class ChainCache {
  private readonly sessions = new Map<string, Entry>();

  /**
   * The chain keys at each of `indices` (all ≥ baseIndex) for a session whose earliest key is `base` at
   * `baseIndex`; the ratchet runs once, from the nearest key already known.
   */
  async keysAt(
    id: string,
    start: { chainKey: string; index: number },
    indices: readonly number[],
  ): Promise<Map<number, Uint8Array>> {
    const entry = this.entry(id, start);
    const out = new Map<number, Uint8Array>();
    const wanted = [...new Set(indices)].sort((a, b) => a - b);
    let index = -1;
    let key: Uint8Array | undefined;
    for (const target of wanted) {
      if (target < entry.baseIndex) throw new RangeError(`keysAt: index ${target} is before the session start`);
      const known = entry.keys.get(target);
      if (known) {
        out.set(target, known);
        continue;
      }
      if (!key || index > target) [index, key] = this.nearest(entry, target);
      while (index < target) {
        key = await nextChainKey(key);
        index += 1;
        entry.keys.set(index, key);
      }
      out.set(target, key);
    }
    return out;
  }

  private entry(id: string, start: { chainKey: string; index: number }): Entry {
    let entry = this.sessions.get(id);
    if (!entry || entry.base !== start.chainKey || entry.baseIndex !== start.index) {
      const keys = new Map([[start.index, fromB64u(start.chainKey)]]);
      entry = { base: start.chainKey, baseIndex: start.index, keys };
    }
    // Re-insert: Map order is the LRU order.
    this.sessions.delete(id);
    this.sessions.set(id, entry);
    if (this.sessions.size > MAX_SESSIONS) {
      const oldest = this.sessions.keys().next();
      if (!oldest.done) this.sessions.delete(oldest.value);
    }
    return entry;
  }

  private nearest(entry: Entry, target: number): [number, Uint8Array] {
    let best = entry.baseIndex;
    for (const i of entry.keys.keys()) if (i <= target && i > best) best = i;
    const key = entry.keys.get(best);
    if (!key) throw new RangeError('nearest: the session start key is missing');
    return [best, key];
  }
}
