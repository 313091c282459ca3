// Key shares leave in POSTs of at most MAX_SHARES_PER_REQUEST [M2]: each stays under the server's body limit,
// and a large room's shares are sealed a chunk at a time, concurrently within it. Used by the sender's own
// shares (outbound.ts) and by shares handed on to a newcomer (history-shares.ts).
import { MAX_SHARES_PER_REQUEST, type KeyShare } from '@parley/protocol';
import type { Api } from './api.ts';

/** Seals a share per item (null: none for it) and posts them chunk by chunk; the shares the server stored. */
export async function sealAndPost<T>(
  api: Api,
  room: string,
  items: readonly T[],
  seal: (item: T) => Promise<KeyShare | null>,
): Promise<KeyShare[]> {
  const posted: KeyShare[] = [];
  for (let at = 0; at < items.length; at += MAX_SHARES_PER_REQUEST) {
    const sealed = await Promise.all(items.slice(at, at + MAX_SHARES_PER_REQUEST).map(seal));
    const shares = sealed.filter((x): x is KeyShare => x !== null);
    if (shares.length === 0) continue;
    await api.send('POST', `/api/rooms/${encodeURIComponent(room)}/shares`, { shares });
    posted.push(...shares);
  }
  return posted;
}
