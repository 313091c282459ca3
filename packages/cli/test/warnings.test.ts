// The integrity warning lines `read` and `listen` print [R1] [M4] [M5] [D3]: words on stderr, JSON for scripts.
import type { IntegrityWarning } from '@parley/sdk';
import { describe, expect, it } from 'vitest';
import { warningJson, warningLine, warningSentence } from '../src/warnings.ts';

const w = (kind: IntegrityWarning['kind'], detail = 'd', user?: string): IntegrityWarning => ({
  room: 'r_1',
  kind,
  detail,
  ...(user ? { user } : {}),
});

const KINDS: IntegrityWarning['kind'][] = [
  'gap',
  'bad_head',
  'missing_head',
  'chain_mismatch',
  'counter_gap',
  'counter_replay',
  'invalid_membership',
  'invalid_event',
];

describe('integrity warning lines', () => {
  it('[M4] one stderr line naming the room and the sender whose messages were withheld', () => {
    expect(warningLine(w('counter_gap', '2 message(s) of alice before seq 9 are missing', 'alice'), 'plans')).toBe(
      'parley: warning: plans: some messages from alice were withheld by the server',
    );
    expect(warningSentence(w('counter_replay', "bob's counter 3 at seq 9 was already seen", 'bob'))).toMatch(
      /^a message from bob was delivered a second time/,
    );
  });

  it('[R1] a fork or a badly signed head reads as possibly altered history', () => {
    expect(warningSentence(w('chain_mismatch'))).toMatch(/history may have been altered/);
    expect(warningSentence(w('bad_head'))).toBe(warningSentence(w('chain_mismatch')));
  });

  it('every kind is one line of words, not the technical detail; room names cannot drive the terminal', () => {
    for (const kind of KINDS) {
      const line = warningLine(w(kind, 'seq 42 chain\nx'), 'evil\u001b[2J');
      expect(line).toMatch(/^parley: warning: evil\\u001b\[2J: [a-z]/);
      expect(line).not.toContain('\n');
      expect(line).not.toContain('seq 42');
    }
  });

  it('--json: a {"type":"warning"} object with room, kind and detail', () => {
    const line = JSON.stringify(warningJson(w('gap', 'events 2..3 never arrived')));
    expect(JSON.parse(line)).toEqual({
      type: 'warning',
      room: 'r_1',
      kind: 'gap',
      detail: 'events 2..3 never arrived',
    });
  });
});
