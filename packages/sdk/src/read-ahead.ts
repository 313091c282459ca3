// History pages on their way [R1] [M4]: a read fetches the waiting key shares once, with its first page; each
// page is read by the verifier (parsed, validated, hashed and linked, off the page's thread where it can) and
// its signatures verified, all before anyone asks for it when it is one of the next older pages of the room
// being read back. Events are immutable once committed, so a page read ahead cannot go stale.
import { badResponse } from './api.ts';
import type { Ctx } from './context.ts';
import type { Inbound, MessageEvent } from './inbound.ts';
import { pagePath } from './log.ts';
import type { ReadPage, SignatureInput } from './page-read.ts';
import type { MessageStatus } from './types.ts';
import type { Verifier } from './verifier.ts';

/**
 * How many older pages are on their way while one is read: two, so that the fetch (the server) and the reading
 * (a worker) of the next pages overlap the decryption of this one (the page's thread).
 */
const READ_AHEAD_PAGES = 2;
/** Pages kept on their way at most (guesses that turned out wrong are dropped oldest first beyond it). */
const MAX_AHEAD = 2 * READ_AHEAD_PAGES;

/** A page on its way, and the work on it that needs no state: parsing, hashes, links, signatures. */
export interface Prefetched {
  read: Promise<ReadPage>;
  verified: Promise<(MessageStatus | null)[]>;
}

/** A page asked for, and the key shares its read fetched (resolved once they are opened and kept). */
export interface Taken extends Prefetched {
  shares: Promise<unknown>;
}

/** A page's messages, with their signature inputs. */
export function messagesOf(read: ReadPage): { messages: MessageEvent[]; signed: SignatureInput[] } {
  const messages: MessageEvent[] = [];
  const signed: SignatureInput[] = [];
  for (const [i, ev] of read.answer.events.entries()) {
    const input = read.signed[i];
    if (ev.kind !== 'message' || !input) continue;
    messages.push(ev);
    signed.push(input);
  }
  return { messages, signed };
}

export class ReadAhead {
  private readonly ahead = new Map<string, Prefetched>();
  /** Bumped when the reader goes elsewhere: read-aheads chained from before that are not started. */
  private generation = 0;
  /**
   * The waiting key shares, fetched once per read (when a page is asked for that was not read ahead): shares
   * announced later arrive by the connection's `shares` frame, not by the pages read ahead. Dropped when the
   * fetch fails, so the next page asks again.
   */
  private shares: Promise<unknown> | null = null;

  constructor(
    private readonly ctx: Ctx,
    private readonly parts: { inbound: Inbound; verifier: Verifier },
  ) {}

  /**
   * The page of `room` before `before`: the one read ahead when it is that one (used once), else a request.
   * The pages older than it are put on their way at once, guessed from the log's seq having no gaps [R1] (the
   * page before B is B − limit … B − 1), and again from its oldest event once it is read. A wrong guess costs
   * one request: a page is only ever used for the exact position it was asked for.
   */
  take(room: string, before: number, limit: number): Taken {
    const at = `${room}|${before}|${limit}`;
    let page = this.ahead.get(at);
    if (page) this.ahead.delete(at);
    else {
      this.ahead.clear();
      this.generation += 1;
      this.shares = null;
      page = this.fetch(room, before, limit);
    }
    const shares = this.shares ?? this.fetchShares();
    if (before < Number.MAX_SAFE_INTEGER) this.putAhead(room, before - limit, limit);
    const generation = this.generation;
    page.read.then(
      (r) => {
        const oldest = r.answer.events[0]?.seq;
        if (generation === this.generation && oldest !== undefined) this.putAhead(room, oldest, limit);
      },
      () => undefined,
    );
    return { ...page, shares };
  }

  private fetchShares(): Promise<unknown> {
    const shares = this.parts.inbound.fetchShares();
    this.shares = shares;
    shares.catch(() => {
      if (this.shares === shares) this.shares = null;
    });
    return shares;
  }

  /** Puts the READ_AHEAD_PAGES pages from `before` down on their way (those not already). */
  private putAhead(room: string, before: number, limit: number): void {
    for (let k = 0, b = before; k < READ_AHEAD_PAGES && b > 1; k++, b -= limit) {
      const at = `${room}|${b}|${limit}`;
      if (!this.ahead.has(at)) this.ahead.set(at, this.fetch(room, b, limit));
    }
    for (const at of this.ahead.keys()) if (this.ahead.size > MAX_AHEAD) this.ahead.delete(at);
  }

  /** Fetches a page; the verifier parses, validates and hashes it, then verifies its signatures. */
  private fetch(room: string, before: number, limit: number): Prefetched {
    const { inbound, verifier } = this.parts;
    const path = pagePath(room, { before }, limit);
    const read = this.ctx.api
      .getText(path)
      .then((text) => verifier.readPage(text))
      .then((r) => {
        if (!r.ok) throw badResponse(path, r.error);
        return r.page;
      });
    const verified = read.then((r) => {
      const { messages, signed } = messagesOf(r);
      return inbound.verifyAll(messages, signed);
    });
    // A failed read-ahead is reported by the call that uses it; until then nothing is left unhandled.
    for (const p of [read, verified]) p.catch(() => undefined);
    return { read, verified };
  }
}
