// What the SDK bench loads into Chromium: the SDK's browser entry, as the app bundles it, and the timed steps
// (here rather than in page.evaluate, whose source tsx rewrites with helpers the page does not have).
import { createClient, IdbStore, type ParleyClient } from '@parley/sdk';

export type { ParleyClient };
export { createClient, IdbStore };

/** PBKDF2-SHA256 at the account default (600 000 iterations) [K2], on its own; returns ms. */
export async function pbkdf2Ms(password: string): Promise<number> {
  const start = performance.now();
  const raw = new TextEncoder().encode(password);
  const base = await crypto.subtle.importKey('raw', raw, 'PBKDF2', false, ['deriveBits']);
  const salt = crypto.getRandomValues(new Uint8Array(16));
  await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: 600_000 }, base, 256);
  return performance.now() - start;
}

/**
 * Reads `count` messages of the room named `name` back from the newest, in pages of 200, each verified and
 * decrypted; returns ms. Pages are asked for by room id, as the app does (a name is looked up in the room
 * list on every call); the id is found before the clock starts.
 */
export async function readHistoryMs(
  client: ParleyClient,
  name: string,
  count: number,
): Promise<{ ms: number; ok: number }> {
  const room = (await client.rooms()).find((r) => r.name === name)?.id;
  if (!room) throw new Error(`no room named ${name}`);
  let before: number | undefined;
  let ok = 0;
  const start = performance.now();
  while (ok < count) {
    const page = await client.historyPage(room, { limit: 200, ...(before ? { before } : {}) });
    ok += page.messages.filter((m) => m.status === 'ok').length;
    if (!page.hasMore || page.oldestSeq === null) break;
    before = page.oldestSeq;
  }
  return { ms: performance.now() - start, ok };
}

// An ES module's exports are not globals: the bench reaches these through the page's global object.
Object.assign(globalThis, { parleyBench: { createClient, IdbStore, pbkdf2Ms, readHistoryMs } });
