// One message: sender, time, verification state and text. The text is a React text node, so markup in a message
// is shown as characters and never parsed as HTML.
import type { DecryptedMessage, MembershipNotice, MessageStatus } from '@parley/sdk';

/**
 * [M6] Why a message cannot be shown, in words (a missing key names who was asked for it). `mine`: the user's
 * own message, sent from another of their devices, whose key comes through the account vault [K9].
 */
export const statusWords = (status: Exclude<MessageStatus, 'ok'>, sender: string, mine = false): string =>
  status === 'missing_key' && mine
    ? 'Sent from another of your devices: this updates by itself once that device is next online.'
    : status === 'missing_key'
      ? `Waiting for the key from ${sender}: this updates by itself when ${sender} is next online.`
      : status === 'sender_left'
        ? `The key never reached you, and ${sender} has left the room, so nobody can send it now. If another of your devices has it, this updates by itself.`
        : STATUS_WORDS[status];

export const STATUS_WORDS: Record<Exclude<MessageStatus, 'ok' | 'missing_key' | 'sender_left'>, string> = {
  before_join: 'Sent before you joined this room; its key was never shared with you.',
  not_member: 'Rejected: the sender was not a member of this room when this was sent.',
  bad_signature: "The sender's signature does not match: this message may be forged.",
  tampered: 'This message was altered after it was sent and cannot be shown.',
  unknown_sender: "Sent by someone whose keys this device doesn't know.",
  replayed: 'The server delivered this message again; the repeat is hidden.',
};

const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const full = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

function Verification({ message, mine }: { message: DecryptedMessage; mine: boolean }) {
  if (mine) return null;
  return message.senderVerified ? (
    <span className="badge verified" title="You compared safety numbers with this person">
      Verified
    </span>
  ) : (
    <span className="badge unverified" title="Compare safety numbers to verify this person">
      Unverified
    </span>
  );
}

export function MessageItem({ message, mine }: { message: DecryptedMessage; mine: boolean }) {
  const ok = message.status === 'ok';
  return (
    <li className={`message${mine ? ' mine' : ''}${ok ? '' : ' undecryptable'}`} data-seq={message.seq}>
      <div className="meta">
        <span className="sender">{message.sender}</span>
        <time dateTime={new Date(message.ts).toISOString()} title={full.format(message.ts)}>
          {time.format(message.ts)}
        </time>
        <Verification message={message} mine={mine} />
      </div>
      {message.status === 'ok' ? (
        <p className="text">{message.text}</p>
      ) : (
        <p className="text status" data-status={message.status}>
          {statusWords(message.status, message.sender, mine)}
        </p>
      )}
    </li>
  );
}

const NOTICE: Record<MembershipNotice['type'], (n: MembershipNotice) => string> = {
  create: (n) => `${n.actor} created the room`,
  invite: (n) => `${n.actor} invited ${n.target}`,
  join: (n) => `${n.actor} joined`,
  leave: (n) => `${n.actor} left`,
  kick: (n) => `${n.actor} removed ${n.target}`,
  promote: (n) => `${n.actor} made ${n.target} an admin`,
};

export function NoticeItem({ notice }: { notice: MembershipNotice }) {
  return (
    <li className="notice" data-seq={notice.seq}>
      {NOTICE[notice.type](notice)}
      {!notice.valid && <strong> — not validly signed, ignored</strong>}
    </li>
  );
}
