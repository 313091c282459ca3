// [R1] [M4] [M5] [D3] What the SDK's integrity findings mean, in words a person can act on, and the per-room list
// of warnings the room shows until dismissed. Pure, so the wording and the deduplication are tested without a
// browser.
import { integritySentence, type IntegrityWarning } from '@parley/sdk';

export { integritySentence };

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
