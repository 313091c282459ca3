// [R1] [M4] [M5] [D3] The SDK's integrity findings, told in words: one line on stderr for the person, and with
// --json one {"type":"warning"} line on stdout for scripts (message lines keep their shape, without a type).
import type { IntegrityWarning } from '@parley/sdk';
import { safe, type Out } from './output.ts';

type Kind = IntegrityWarning['kind'];

// The SDK names the sender only inside `detail`; without a match the sentence still reads well.
const GAP_SENDER = /\bof ([a-z0-9][a-z0-9_.-]*) before seq\b/;
const REPLAY_SENDER = /^([a-z0-9][a-z0-9_.-]*)'s counter\b/;
const senderIn = (detail: string, re: RegExp) => re.exec(detail)?.[1] ?? 'a member';

const ALTERED = "the server's record of this room does not match what it signed: history may have been altered";

// A Record over the union: a kind added to the SDK without a sentence here is a compile error.
const SENTENCES: Record<Kind, (w: IntegrityWarning) => string> = {
  gap: () => 'some messages in this room never arrived: the server did not deliver them',
  bad_head: () => ALTERED,
  chain_mismatch: () => ALTERED,
  missing_head: () => "the server would not vouch for part of this room's history: it may have been altered",
  counter_gap: (w) => `some messages from ${senderIn(w.detail, GAP_SENDER)} were withheld by the server`,
  counter_replay: (w) =>
    `a message from ${senderIn(w.detail, REPLAY_SENDER)} was delivered a second time: the server may be replaying old messages`,
  invalid_membership: () =>
    'a change to who is in this room was not properly signed: someone may have been added or removed without permission',
  invalid_event: () =>
    'the server sent something this client could not check, so it was ignored: some messages may be missing',
};

export function warningSentence(w: IntegrityWarning): string {
  return SENTENCES[w.kind](w);
}

/** The stderr line; names come from the server, so they are escaped like message text. */
export function warningLine(w: IntegrityWarning, roomName: string): string {
  return `parley: warning: ${safe(roomName)}: ${warningSentence(w)}`;
}

export function warningJson(w: IntegrityWarning): Record<string, unknown> {
  return { type: 'warning', room: w.room, kind: w.kind, detail: w.detail };
}

export function printWarning(out: Out, w: IntegrityWarning, roomName: string): void {
  process.stderr.write(`${warningLine(w, roomName)}\n`);
  if (out.json) process.stdout.write(`${JSON.stringify(warningJson(w))}\n`);
}
