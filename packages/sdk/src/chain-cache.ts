// Keys already ratcheted to, per inbound session [M1]: reading a page of a session's messages ratchets once
// from the stored earliest key instead of once per message, and a message read again (the next page's read,
// a re-render, a second history call) costs one AES-GCM decryption, no HMAC and no key import. Only forward
// steps from the stored earliest key are cached, so nothing here lets the client read more than that key
// already allows; message keys are held as non-extractable, decrypt-only CryptoKeys.
import { fromB64u, importAesKey, ratchetStep } from '@parley/protocol';

/** Sessions whose keys are kept (least recently used beyond this are dropped). */
const MAX_SESSIONS = 256;

interface Entry {
  /** The stored earliest chain key (b64u) and index the keys below were derived from. */
  base: string;
  baseIndex: number;
  /** Chain keys by index. */
  chains: Map<number, Uint8Array>;
  /** Message keys by index, imported for AES-GCM decryption, with their key commitments [M9]. */
  messages: Map<number, Promise<MessageKey>>;
}

export interface MessageKey {
  key: CryptoKey;
  commit: Uint8Array;
}

export class ChainCache {
  private readonly sessions = new Map<string, Entry>();

  /** Drops the keys of every session whose id starts with `prefix` (a room the user is out of). */
  forget(prefix: string): void {
    for (const id of [...this.sessions.keys()]) if (id.startsWith(prefix)) this.sessions.delete(id);
  }

  /**
   * The message keys at each of `indices` (all ≥ the start index) for a session whose earliest key is
   * `start.chainKey` at `start.index`. The ratchet runs once, from the nearest chain key already known; each
   * step imports its chain key once for both of its HMACs, and a message key is imported as it is reached,
   * so decryption can begin while the ratchet goes on.
   */
  async messageKeysAt(
    id: string,
    start: { chainKey: string; index: number },
    indices: readonly number[],
  ): Promise<Map<number, Promise<MessageKey>>> {
    const entry = this.entry(id, start);
    const out = new Map<number, Promise<MessageKey>>();
    const wanted = [...new Set(indices)].sort((a, b) => a - b);
    for (const target of wanted) {
      if (target < entry.baseIndex)
        throw new RangeError(`messageKeysAt: index ${target} is before the session start`);
      out.set(target, entry.messages.get(target) ?? (await this.ratchetTo(entry, target)).key);
    }
    return out;
  }

  /** Steps from the nearest chain key below `target` up to it; returns the message key at `target`. */
  private async ratchetTo(entry: Entry, target: number): Promise<{ key: Promise<MessageKey> }> {
    let [index, key] = this.nearest(entry, target);
    for (;;) {
      const step = await ratchetStep(key, index === target);
      if (!entry.chains.has(index + 1)) entry.chains.set(index + 1, step.next);
      if (step.messageKey && step.commit) {
        const commit = step.commit;
        const message = importAesKey(step.messageKey, ['decrypt']).then((key) => ({ key, commit }));
        entry.messages.set(index, message);
        return { key: message };
      }
      [index, key] = [index + 1, step.next];
    }
  }

  private entry(id: string, start: { chainKey: string; index: number }): Entry {
    let entry = this.sessions.get(id);
    if (!entry || entry.base !== start.chainKey || entry.baseIndex !== start.index) {
      const chains = new Map([[start.index, fromB64u(start.chainKey)]]);
      entry = { base: start.chainKey, baseIndex: start.index, chains, messages: new Map() };
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
    for (const i of entry.chains.keys()) if (i <= target && i > best) best = i;
    const key = entry.chains.get(best);
    if (!key) throw new RangeError('nearest: the session start key is missing');
    return [best, key];
  }
}
