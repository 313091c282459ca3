// [R1] [M4] [M5] [D3] The SDK's integrity findings, told in words: one line on stderr for the person, and with
// --json one {"type":"warning"} line on stdout for scripts (message lines keep their shape, without a type).
import { integritySentence, type IntegrityWarning } from '@parley/sdk';
import { safe, type Out } from './output.ts';

/** The SDK's sentence, as a stderr clause: no capital, no full stop. */
export function warningSentence(w: IntegrityWarning): string {
  const sentence = integritySentence(w);
  return sentence.charAt(0).toLowerCase() + sentence.slice(1).replace(/\.$/, '');
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
