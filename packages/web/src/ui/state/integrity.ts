// [R1] [M4] [M5] [D3] What the SDK's integrity findings mean, in words a person can act on, and the per-room list
// of warnings the room shows until dismissed. Pure, so the wording and the deduplication are tested without a
// browser.
import type { IntegrityWarning } from '@parley/sdk';

export type IntegrityKind = IntegrityWarning['kind'];

export interface RoomAlert {
  kind: IntegrityKind;
  /** The sentence shown; also the key that deduplicates (two kinds may say the same thing). */
  text: string;
  /** The SDK's technical detail of the first occurrence, for the curious. */
  detail: string;
}

export type RoomAlerts = Readonly<Record<string, readonly RoomAlert[]>>;

/** How many distinct warnings one room keeps: enough for every kind and a few senders, bounded against floods. */
export const MAX_ALERTS_PER_ROOM = 12;

// The SDK names the sender only inside `detail` ("2 message(s) of alice before seq 9 are missing",
// "alice's counter 3 at seq 9 was already seen"); without a match the sentence still reads well.
const GAP_SENDER = /\bof ([a-z0-9][a-z0-9_.-]*) before seq\b/;
const REPLAY_SENDER = /^([a-z0-9][a-z0-9_.-]*)'s counter\b/;
const senderIn = (detail: string, re: RegExp) => re.exec(detail)?.[1] ?? 'a member';

const ALTERED = "The server's record of this room does not match what it signed: history may have been altered.";

// A Record over the union: a kind added to the SDK without a sentence here is a compile error.
const SENTENCES: Record<IntegrityKind, (w: IntegrityWarning) => string> = {
  gap: () => 'Some messages in this room never arrived: the server did not deliver them.',
  bad_head: () => ALTERED,
  chain_mismatch: () => ALTERED,
  missing_head: () => "The server would not vouch for part of this room's history: it may have been altered.",
  counter_gap: (w) => `Some messages from ${senderIn(w.detail, GAP_SENDER)} were withheld by the server.`,
  counter_replay: (w) =>
    `A message from ${senderIn(w.detail, REPLAY_SENDER)} was delivered a second time: the server may be replaying old messages.`,
  invalid_membership: () =>
    'A change to who is in this room was not properly signed: someone may have been added or removed without permission.',
  invalid_event: () =>
    'The server sent something this app could not check, so it was ignored: some messages may be missing.',
};

export function integritySentence(warning: IntegrityWarning): string {
  return SENTENCES[warning.kind](warning);
}

/** Adds a warning to its room unless that room already shows the same sentence. */
export function addAlert(alerts: RoomAlerts, warning: IntegrityWarning): RoomAlerts {
  const text = integritySentence(warning);
  const current = alerts[warning.room] ?? [];
  if (current.some((a) => a.text === text)) return alerts;
  const next = [...current, { kind: warning.kind, text, detail: warning.detail }].slice(-MAX_ALERTS_PER_ROOM);
  return { ...alerts, [warning.room]: next };
}

/** Dismisses one sentence in one room; the same misbehaviour seen again later is shown again. */
export function dismissAlert(alerts: RoomAlerts, room: string, text: string): RoomAlerts {
  const current = alerts[room];
  if (!current) return alerts;
  const next = current.filter((a) => a.text !== text);
  if (next.length > 0) return { ...alerts, [room]: next };
  const rest = { ...alerts };
  delete rest[room];
  return rest;
}
