// Independent re-verification of a room log [R1] [M5]: gap-free seq, each event's hash and chain recomputed
// with @parley/protocol, every head countersigned by the server key and equal to the chain at its seq.
import {
  GENESIS_CHAIN,
  eventHash,
  fromB64u,
  headBytes,
  importPublicKey,
  nextChain,
  rsaVerify,
  toB64u,
  type Head,
  type RoomEvent,
} from '@parley/protocol';

export interface LogCheck {
  ok: boolean;
  problems: string[];
}

export async function checkLog(
  events: readonly RoomEvent[],
  heads: readonly Head[],
  serverSpki: string,
): Promise<LogCheck> {
  const problems: string[] = [];
  let chain: Uint8Array = GENESIS_CHAIN;
  const chains = new Map<number, string>();
  for (const [i, e] of events.entries()) {
    if (e.seq !== i + 1) problems.push(`seq ${e.seq} at position ${i + 1}`);
    const hash = await eventHash(e);
    if (toB64u(hash) !== e.hash) problems.push(`hash of seq ${e.seq} does not recompute`);
    chain = await nextChain(chain, hash);
    if (toB64u(chain) !== e.chain) problems.push(`chain of seq ${e.seq} does not recompute`);
    chains.set(e.seq, toB64u(chain));
  }
  const key = await importPublicKey('signing', fromB64u(serverSpki));
  if (!key) return { ok: false, problems: [...problems, 'server key does not import'] };
  for (const h of heads) {
    if (!(await rsaVerify(key, fromB64u(h.signature), headBytes(h))))
      problems.push(`head ${h.seq}: bad signature`);
    const expected = chains.get(h.seq);
    if (expected !== undefined && expected !== h.chain) problems.push(`head ${h.seq}: chain differs`);
  }
  return { ok: problems.length === 0, problems };
}

/** Pages through GET /api/rooms/:id/events; `get` is any JSON GET (inject or fetch). */
export async function readWholeLog(
  get: (url: string) => Promise<{ events: RoomEvent[]; heads: Head[]; headSeq: number }>,
  room: string,
): Promise<{ events: RoomEvent[]; heads: Head[]; headSeq: number }> {
  const events: RoomEvent[] = [];
  const heads: Head[] = [];
  let headSeq = 0;
  for (;;) {
    const page = await get(`/api/rooms/${room}/events?after=${events.length}&limit=500`);
    events.push(...page.events);
    heads.push(...page.heads);
    headSeq = page.headSeq;
    if (page.events.length < 500) break;
  }
  return { events, heads, headSeq };
}
