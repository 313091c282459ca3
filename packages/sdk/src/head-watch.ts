// [M5] Every event this client sees must be vouched for by a valid countersigned head with a seq at or after
// its own. Heads are coalesced by the server (signed shortly after the events they cover), so an event is
// given `graceMs` to be covered; then the server is asked once more (a history read makes it sign what it
// holds) and only an event still uncovered is reported. A server that strips heads is caught; an honest,
// coalescing one never is. A recheck that fails (unreachable, refused) keeps the event waiting and is tried
// again, up to `attempts` times; then the event is reported all the same: a failed check is never swallowed.
// There is no exemption for former members: the server signs a head at every leave and kick, so what a former
// member may read is always vouched for.

export interface HeadWatchOptions {
  graceMs: number;
  /** Asks the server for the heads at or after `seq` and checks them (they land in `covered`). */
  recheck: (room: string, seq: number) => Promise<void>;
  /** Rechecks tried before an event is reported (default 3). */
  attempts?: number;
  report: (room: string, seq: number) => void;
}

export class HeadWatch {
  /** Per room: the highest seq a verified head vouches for. */
  private readonly covered = new Map<string, number>();
  /** Per room: the highest seq waiting for a head, the timer that will check it, and the checks that failed. */
  private readonly waiting = new Map<
    string,
    { seq: number; timer: ReturnType<typeof setTimeout>; failed: number }
  >();

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
    this.wait(room, seq, 0);
  }

  private wait(room: string, seq: number, failed: number): void {
    const timer = setTimeout(() => void this.due(room), this.o.graceMs);
    unref(timer);
    this.waiting.set(room, { seq, timer, failed });
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
      if (this.isCovered(room, w.seq)) return;
    } catch {
      // Unreachable or refused: nothing can be said about the heads yet. The event keeps waiting, a bounded
      // number of times (a later expect() for the room joins the same wait).
      if (w.failed + 1 < (this.o.attempts ?? 3)) {
        const next = this.waiting.get(room);
        this.wait(room, Math.max(w.seq, next?.seq ?? 0), w.failed + 1);
        if (next) clearTimeout(next.timer);
        return;
      }
    }
    this.o.report(room, w.seq);
  }
}

/** Node: a pending check must not keep a CLI alive. Browsers have no unref. */
function unref(timer: unknown): void {
  (timer as { unref?: () => void }).unref?.();
}
