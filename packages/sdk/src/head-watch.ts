// [M5] Every event this client sees must be vouched for by a valid countersigned head with a seq at or after
// its own. Heads are coalesced by the server (signed shortly after the events they cover), so an event is
// given `graceMs` to be covered; then the server is asked once more (a history read makes it sign what it
// holds) and only an event still uncovered is reported. A server that strips heads is caught; an honest,
// coalescing one never is.

export interface HeadWatchOptions {
  graceMs: number;
  /** Asks the server for the heads at or after `seq` and checks them (they land in `covered`). */
  recheck: (room: string, seq: number) => Promise<void>;
  /** Whether an uncovered event is still to be reported (a former member is served no later head). */
  shouldReport: (room: string) => Promise<boolean>;
  report: (room: string, seq: number) => void;
}

export class HeadWatch {
  /** Per room: the highest seq a verified head vouches for. */
  private readonly covered = new Map<string, number>();
  /** Per room: the highest seq waiting for a head, and the timer that will check it. */
  private readonly waiting = new Map<string, { seq: number; timer: ReturnType<typeof setTimeout> }>();

  constructor(private readonly o: HeadWatchOptions) {}

  /** A head with a valid signature was seen. */
  headSeen(room: string, seq: number): void {
    if (seq > (this.covered.get(room) ?? 0)) this.covered.set(room, seq);
  }

  /** Events of `room` up to `seq` were seen: they must be covered within the grace period. */
  expect(room: string, seq: number): void {
    if (this.isCovered(room, seq)) return;
    const w = this.waiting.get(room);
    if (w) {
      w.seq = Math.max(w.seq, seq);
      return;
    }
    const timer = setTimeout(() => void this.due(room), this.o.graceMs);
    unref(timer);
    this.waiting.set(room, { seq, timer });
  }

  /** Forgets every timer (logout). */
  stop(): void {
    for (const w of this.waiting.values()) clearTimeout(w.timer);
    this.waiting.clear();
  }

  private isCovered(room: string, seq: number): boolean {
    return (this.covered.get(room) ?? 0) >= seq;
  }

  private async due(room: string): Promise<void> {
    const w = this.waiting.get(room);
    this.waiting.delete(room);
    if (!w || this.isCovered(room, w.seq)) return;
    try {
      await this.o.recheck(room, w.seq);
      if (this.isCovered(room, w.seq) || !(await this.o.shouldReport(room))) return;
    } catch {
      // Unreachable, logged out, or refused: nothing can be said about the heads now; the next read checks again.
      return;
    }
    this.o.report(room, w.seq);
  }
}

/** Node: a pending check must not keep a CLI alive. Browsers have no unref. */
function unref(timer: unknown): void {
  (timer as { unref?: () => void }).unref?.();
}
