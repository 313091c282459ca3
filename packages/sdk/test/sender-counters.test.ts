// [M4] Which of one sender's messages are compared: only two with every event between them checked, whatever
// order the pages and live events came in.
import { describe, expect, it } from 'vitest';
import { SenderCounters, type CheckedEvent } from '../src/sender-counters.ts';

/** Events seq from..to; `msgs` maps a seq to [sender, counter]. */
function span(from: number, to: number, msgs: Record<number, [string, number]>): CheckedEvent[] {
  const out: CheckedEvent[] = [];
  for (let seq = from; seq <= to; seq++) {
    const m = msgs[seq];
    out.push(m ? { seq, message: { sender: m[0], counter: m[1], session: 's' } } : { seq });
  }
  return out;
}

const brief = (pairs: ReturnType<SenderCounters['add']>) =>
  pairs.map((p) => `${p.sender} ${p.earlier.seq}:${p.earlier.counter}->${p.later.seq}:${p.later.counter}`);

describe('[M4] SenderCounters', () => {
  it('pairs messages within one page in seq order', () => {
    const c = new SenderCounters();
    expect(brief(c.add('r', span(1, 5, { 1: ['a', 1], 3: ['b', 1], 4: ['a', 2], 5: ['a', 3] })))).toEqual([
      'a 1:1->4:2',
      'a 4:2->5:3',
    ]);
  });

  it('pairs the last message of an older page with the first of the newer page read before it', () => {
    const c = new SenderCounters();
    expect(brief(c.add('r', span(11, 20, { 12: ['a', 5], 19: ['a', 6] })))).toEqual(['a 12:5->19:6']);
    expect(brief(c.add('r', span(1, 10, { 2: ['a', 1], 9: ['a', 3] })))).toEqual([
      'a 2:1->9:3',
      'a 9:3->12:5', // counter 4 is missing: the caller reports it
    ]);
  });

  it('pairs a live event with the history page it follows (the seam)', () => {
    const c = new SenderCounters();
    c.add('r', span(1, 10, { 10: ['a', 7] }));
    expect(brief(c.add('r', [{ seq: 11, message: { sender: 'a', counter: 8, session: 's' } }]))).toEqual([
      'a 10:7->11:8',
    ]);
  });

  it('does not pair across events that were not checked', () => {
    const c = new SenderCounters();
    c.add('r', span(1, 5, { 5: ['a', 1] }));
    expect(c.add('r', span(8, 10, { 9: ['a', 4] }))).toEqual([]);
    // Once the hole is read, both sides are compared.
    expect(brief(c.add('r', span(6, 7, {})))).toEqual([]);
    expect(brief(c.add('r', span(6, 7, { 6: ['a', 2] })))).toEqual(['a 5:1->6:2', 'a 6:2->9:4']);
  });

  it('keeps rooms apart', () => {
    const c = new SenderCounters();
    c.add('r1', span(1, 1, { 1: ['a', 1] }));
    expect(c.add('r2', span(2, 2, { 2: ['a', 5] }))).toEqual([]);
  });
});
