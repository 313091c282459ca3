// [R1] [M4] [M5] [D3] What each integrity finding means, in one sentence a person can act on: the web client
// shows it in the room, the CLI prints it. One copy, so both say the same thing.
import type { IntegrityWarning, VaultWarning } from './types.ts';

const ALTERED = "The server's record of this room does not match what it signed: history may have been altered.";
const who = (w: IntegrityWarning) => w.user ?? 'a member';

// A Record over the union: a kind added without a sentence is a compile error.
const SENTENCES: Record<IntegrityWarning['kind'], (w: IntegrityWarning) => string> = {
  gap: () => 'Some messages in this room never arrived: the server did not deliver them.',
  bad_head: () => ALTERED,
  chain_mismatch: () => ALTERED,
  missing_head: () => "The server would not vouch for part of this room's history: it may have been altered.",
  counter_gap: (w) => `Some messages from ${who(w)} were withheld by the server.`,
  counter_replay: (w) =>
    `A message from ${who(w)} was delivered a second time: the server may be replaying old messages.`,
  invalid_membership: () =>
    'A change to who is in this room was not properly signed: someone may have been added or removed without permission.',
  invalid_event: () =>
    'The server sent something this client could not check, so it was ignored: some messages may be missing.',
  stale_membership: (w) =>
    `A message from ${who(w)} was encrypted before someone was removed from this room, and the server took it anyway: the removed person may have been able to read it.`,
};

export function integritySentence(w: IntegrityWarning): string {
  return SENTENCES[w.kind](w);
}

/** [K9] A vault record the server served and this client did not use, in one sentence. */
export function vaultSentence(w: VaultWarning): string {
  return w.kind === 'rollback'
    ? 'The server served an older copy of your key backup than this device has seen, and it was ignored: the server may be trying to undo a change, such as a verification.'
    : 'The server served a key backup record that is not yours or was altered, and it was ignored.';
}
