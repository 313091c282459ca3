// Each sender's counter followed across everything this client checked of a room [M4]: history pages read in
// any order, live events, and the seam between them. Two messages of one sender are compared only when every
// event between them was checked too, so a counter jump means the server dropped or reordered something,
// never that this client simply has not read that part yet.

import type { RoomEvent } from '@parley/protocol';

/** Messages remembered per sender and room; older ones are forgotten first. */
const PER_SENDER = 4000;
/** Separate runs of checked seqs remembered per room (each page read out of order can open one). */
const MAX_RUNS = 1000;

interface Sent {
  seq: number;
  counter: number;
  /** The sender-key session it came in: each of the sender's devices has its own [M2]. */
  session: string;
}

/** A pair of one sender's messages with every event between them checked: `later` must follow `earlier`. */
export interface CounterPair {
  sender: string;
  earlier: Sent;
  later: Sent;
}

export interface CheckedEvent {
  seq: number;
  /** For a message: its sender, counter and session. */
  message?: { sender: string; counter: number; session: string };
}

/** What the counters need of an event. */
export function checkedEvent(ev: RoomEvent): CheckedEvent {
  return ev.kind === 'message'
    ? { seq: ev.seq, message: { sender: ev.sender, counter: ev.content.counter, session: ev.content.sessionId } }
    : { seq: ev.seq };
}

class RoomCounters {
  /** Disjoint, sorted runs [from, to] of seqs whose event was checked. */
  private readonly runs: [number, number][] = [];
  private readonly bySender = new Map<string, Sent[]>();

  /** Adds checked events (a page, or one live event); returns the pairs that can now be compared. */
  add(events: readonly CheckedEvent[]): CounterPair[] {
    for (const ev of events) this.cover(ev.seq);
    const last = new Map<string, Sent>();
    for (const ev of events) {
      if (!ev.message) continue;
      const sent = { seq: ev.seq, counter: ev.message.counter, session: ev.message.session };
      insert(this.list(ev.message.sender), sent);
      last.set(ev.message.sender, sent);
    }
    const pairs: CounterPair[] = [];
    for (const ev of events) {
      if (!ev.message) continue;
      const before = this.neighbour(ev.message.sender, ev.seq, -1);
      if (before)
        pairs.push({
          sender: ev.message.sender,
          earlier: before,
          later: { seq: ev.seq, counter: ev.message.counter, session: ev.message.session },
        });
    }
    // A page read before a newer one already checked: its last message of each sender meets the next one.
    for (const [sender, sent] of last) {
      const after = this.neighbour(sender, sent.seq, 1);
      if (after) pairs.push({ sender, earlier: sent, later: after });
    }
    return pairs;
  }

  private list(sender: string): Sent[] {
    let l = this.bySender.get(sender);
    if (!l) this.bySender.set(sender, (l = []));
    return l;
  }

  /** The sender's nearest message before (-1) or after (1) `seq`, if every event between was checked. */
  private neighbour(sender: string, seq: number, dir: -1 | 1): Sent | null {
    const l = this.bySender.get(sender) ?? [];
    const i = lowerBound(l, seq);
    const other = dir < 0 ? l[i - 1] : l[l[i]?.seq === seq ? i + 1 : i];
    if (!other) return null;
    const [from, to] = dir < 0 ? [other.seq, seq] : [seq, other.seq];
    return this.covers(from, to) ? other : null;
  }

  private covers(from: number, to: number): boolean {
    const run = this.runs[this.runIndex(from)];
    return run !== undefined && run[0] <= from && to <= run[1];
  }

  /** The index of the last run starting at or before `seq` (or -1). */
  private runIndex(seq: number): number {
    let lo = 0;
    let hi = this.runs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.runs[mid]![0] <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  private cover(seq: number): void {
    const i = this.runIndex(seq);
    const run = this.runs[i];
    const next = this.runs[i + 1];
    if (run && seq <= run[1]) return;
    const joinsRun = run !== undefined && run[1] === seq - 1;
    const joinsNext = next !== undefined && next[0] === seq + 1;
    if (joinsRun && joinsNext) {
      run[1] = next[1];
      this.runs.splice(i + 1, 1);
    } else if (joinsRun) run[1] = seq;
    else if (joinsNext) next[0] = seq;
    else {
      this.runs.splice(i + 1, 0, [seq, seq]);
      if (this.runs.length > MAX_RUNS) this.runs.shift();
    }
  }
}

/** Per room: which events were checked, and each sender's counters among them. */
export class SenderCounters {
  private readonly rooms = new Map<string, RoomCounters>();

  add(room: string, events: readonly CheckedEvent[]): CounterPair[] {
    let r = this.rooms.get(room);
    if (!r) this.rooms.set(room, (r = new RoomCounters()));
    return r.add(events);
  }
}

function lowerBound(list: readonly Sent[], seq: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insert(list: Sent[], sent: Sent): void {
  const i = lowerBound(list, sent.seq);
  if (list[i]?.seq === sent.seq) list[i] = sent;
  else list.splice(i, 0, sent);
  if (list.length > PER_SENDER) list.shift();
}
