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

const STATUS_TEXT: Record<Exclude<DecryptedMessage['status'], 'ok' | 'missing_key' | 'sender_left'>, string> = {
  before_join: 'sent before you joined',
  not_member: 'REJECTED: the sender was not a member of this room when it was sent',
  bad_signature: 'REJECTED: bad sender signature',
  tampered: 'REJECTED: ciphertext was tampered with',
  unknown_sender: 'REJECTED: unknown sender key',
  replayed: 'REJECTED: replayed message',
};

/**
 * Text other people chose (message text, room names) is printed as text: control characters (newlines too, so
 * one message is one line) and bidirectional overrides are escaped, so it can neither drive the terminal, nor
 * hide or fake the lines after it.
 */
export const safe = (text: string) =>
  text.replace(
    /[\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );

/**
 * What a message line says: its text, or why it cannot be shown [M6]. `me`: the signed-in user, whose own
 * message without its key was sent from another of their devices (the key comes through the vault [K9]).
 */
export function messageBody(m: DecryptedMessage, me: string | null): string {
  if (m.status === 'ok') return safe(m.text ?? '');
  if (m.status === 'missing_key')
    return m.sender === me
      ? '[waiting for the key from your other device]'
      : `[waiting for the key from ${m.sender}]`;
  if (m.status === 'sender_left') return `[no key: ${m.sender} left the room before sending it]`;
  return `[${STATUS_TEXT[m.status]}]`;
}

export function printMessage(out: Out, m: DecryptedMessage, roomName: string, me: string | null): void {
  const ts = new Date(m.ts).toISOString();
  const body = messageBody(m, me);
  const mark = m.senderVerified ? '✓' : '';
  out.print(`${ts} #${safe(roomName)} ${m.seq} ${m.sender}${mark}: ${body}`, {
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
