// [R4] The part of a room's log the membership fold may read: contiguous seqs on from what was folded, each
// event's hash and chain link recomputed, and a head signed by the pinned server key at or after every event
// taken. Who receives a room key is decided from this alone, so a server that leaves out a kick (a gap), edits
// an event (a broken chain), serves one seq two ways (a fork) or vouches for nothing (no head) stops the
// decision with an error instead of steering it.
import {
  eventHash,
  fromB64u,
  headBytes,
  nextChain,
  rsaVerify,
  toB64u,
  type Head,
  type RoomEvent,
} from '@parley/protocol';
import type { Api } from './api.ts';
import { ParleyError } from './errors.ts';
import { fetchPage } from './log.ts';

export interface LogPosition {
  /** The last seq taken (0: none). */
  seq: number;
  /** The chain at `seq` (the genesis chain at 0). */
  chain: Uint8Array;
}

export interface VerifiedLogOptions {
  api: Api;
  room: string;
  from: LogPosition;
  /** The pinned server key; without one nothing can be vouched for. */
  serverKey: CryptoKey | null;
  /** Chains this client saw earlier for some seqs (live events): the log must agree with them. */
  seen: ReadonlyMap<number, string>;
  /**
   * Heads are signed coalesced (docs/protocol.md §2), and in a multi-process deployment a read may come before
   * the head that covers its newest events: such a read is tried again this many times, `retryMs` apart.
   */
  retries: number;
  retryMs: number;
}

export const unverifiedLog = (room: string, why: string) =>
  new ParleyError('LOG_UNVERIFIED', `cannot verify who is in this room: ${why}`, 0, { cause: { room } });

/** The verified events after `from`, in order, up to the newest head that vouches for them. */
export async function readVerified(o: VerifiedLogOptions): Promise<{ events: RoomEvent[]; end: LogPosition }> {
  const out: RoomEvent[] = [];
  /** Linked, not yet vouched for by a head: a head later in the log vouches for them through the chain. */
  const pending: RoomEvent[] = [];
  const chains = new Map<number, Uint8Array>();
  let vouched = o.from;
  let linked = o.from;
  let retries = o.retries;
  for (;;) {
    const page = await fetchPage(o.api, o.room, { after: linked.seq });
    const before = linked.seq;
    linked = await linkPage(o, linked, page.events, chains);
    pending.push(...page.events.filter((ev) => ev.seq > before));
    const covered = await newestVouched(o, vouched.seq, chains, page.heads);
    if (covered > vouched.seq) {
      const cut = pending.findIndex((ev) => ev.seq > covered);
      out.push(...pending.splice(0, cut === -1 ? pending.length : cut));
      vouched = { seq: covered, chain: chains.get(covered)! };
    }
    const last = page.events.at(-1);
    if (last && last.seq < page.headSeq) {
      // A page that brings nothing new but says there is more would have this loop ask forever.
      if (linked.seq === before) throw unverifiedLog(o.room, `the server serves no event after ${before}`);
      continue;
    }
    if (linked.seq < page.headSeq) {
      throw unverifiedLog(o.room, `the server left out event ${linked.seq + 1} of the log`);
    }
    const hidden = [...o.seen.keys()].find((seq) => seq > linked.seq);
    if (hidden !== undefined) {
      throw unverifiedLog(o.room, `the server no longer shows event ${hidden}, which it sent before`);
    }
    if (pending.length === 0) return { events: out, end: vouched };
    if (retries-- <= 0) {
      const range = `${pending[0]!.seq}–${pending.at(-1)!.seq}`;
      throw unverifiedLog(o.room, `no head signed by the server covers events ${range}`);
    }
    await new Promise((resolve) => setTimeout(resolve, o.retryMs));
    linked = vouched;
    pending.length = 0;
  }
}

/** Links the page's events on from `from`, checking the server's hashes and links and the seqs seen before. */
async function linkPage(
  o: VerifiedLogOptions,
  from: LogPosition,
  events: readonly RoomEvent[],
  chains: Map<number, Uint8Array>,
): Promise<LogPosition> {
  let { seq, chain } = from;
  for (const ev of events) {
    // Events already folded, sent again: what was folded stands.
    if (ev.room === o.room && ev.seq <= from.seq) continue;
    if (ev.room !== o.room || ev.seq !== seq + 1) {
      throw unverifiedLog(o.room, `the server left out event ${seq + 1} of the log`);
    }
    const hash = await eventHash(ev);
    chain = await nextChain(chain, hash);
    if (toB64u(hash) !== ev.hash || toB64u(chain) !== ev.chain) {
      throw unverifiedLog(o.room, `event ${ev.seq} does not match the chain the server committed to`);
    }
    const seen = o.seen.get(ev.seq);
    if (seen !== undefined && seen !== ev.chain) {
      throw unverifiedLog(o.room, `the server now shows event ${ev.seq} differently from before (a fork)`);
    }
    seq = ev.seq;
    chains.set(seq, chain);
  }
  return { seq, chain };
}

/** The newest linked seq that a valid head vouches for (by its chain), or `vouched` when there is none. */
async function newestVouched(
  o: VerifiedLogOptions,
  vouched: number,
  chains: ReadonlyMap<number, Uint8Array>,
  heads: readonly Head[],
): Promise<number> {
  let covered = vouched;
  if (!o.serverKey) return covered;
  for (const h of heads) {
    const chain = chains.get(h.seq);
    if (h.room !== o.room || !chain || toB64u(chain) !== h.chain || h.seq <= covered) continue;
    if (await rsaVerify(o.serverKey, fromB64u(h.signature), headBytes(h))) covered = h.seq;
  }
  return covered;
}
