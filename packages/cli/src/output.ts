// Human lines by default, one JSON object per line with --json.
import type { DecryptedMessage } from '@parley/sdk';

export interface Out {
  json: boolean;
  /** Prints `human` as is, or `data` as one JSON line. */
  print(human: string, data: Record<string, unknown>): void;
}

export function createOut(json: boolean): Out {
  return {
    json,
    print(human, data) {
      process.stdout.write(`${json ? JSON.stringify(data) : human}\n`);
    },
  };
}

const STATUS_TEXT: Record<Exclude<DecryptedMessage['status'], 'ok'>, string> = {
  missing_key: 'cannot decrypt yet: the key share has not arrived (requested from the sender)',
  before_join: 'sent before you joined',
  bad_signature: 'REJECTED: bad sender signature',
  tampered: 'REJECTED: ciphertext was tampered with',
  unknown_sender: 'REJECTED: unknown sender key',
  replayed: 'REJECTED: replayed message',
};

/** Message text is printed as text; control characters are escaped so a message cannot drive the terminal. */
export const safe = (text: string) =>
  text.replace(
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );

export function printMessage(out: Out, m: DecryptedMessage, roomName: string): void {
  const ts = new Date(m.ts).toISOString();
  const body = m.status === 'ok' ? safe(m.text ?? '') : `[${STATUS_TEXT[m.status]}]`;
  const mark = m.senderVerified ? '✓' : '';
  out.print(`${ts} #${roomName} ${m.seq} ${m.sender}${mark}: ${body}`, {
    room: m.room,
    roomName,
    seq: m.seq,
    sender: m.sender,
    text: m.status === 'ok' ? (m.text ?? '') : null,
    ts,
    status: m.status,
    senderVerified: m.senderVerified,
  });
}
