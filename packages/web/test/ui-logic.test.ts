// The client's pure rules, without a browser: password policy, error words, and the chat reducer.
import { describe, expect, it } from 'vitest';
import type { DecryptedMessage, HistoryPage, IntegrityWarning, MembershipNotice } from '@parley/sdk';
import { passwordProblem, usernameProblem } from '../src/ui/auth/password-rules.ts';
import { describeError } from '../src/ui/errors.ts';
import { chatReducer, initialChatState, timelineOf, typingUsers } from '../src/ui/state/chat-state.ts';
import { statusWords } from '../src/ui/chat/MessageItem.tsx';
import { looksDirect, roomLabel } from '../src/ui/chat/RoomList.tsx';
import { integritySentence, MAX_ALERTS_PER_ROOM } from '../src/ui/state/integrity.ts';

const msg = (seq: number, over: Partial<DecryptedMessage> = {}): DecryptedMessage => ({
  room: 'r1',
  seq,
  ts: 1_700_000_000_000 + seq,
  sender: 'bob',
  clientMsgId: `c${seq}`,
  status: 'ok',
  text: `m${seq}`,
  senderVerified: false,
  ...over,
});

describe('password rules (enforced in the client, the server never sees the password) [K2]', () => {
  it('refuses short and common passwords, accepts long ones', () => {
    expect(passwordProblem('1234567', 'alice')).toMatch(/at least 8/);
    expect(passwordProblem('Password1', 'alice')).toMatch(/most common/);
    expect(passwordProblem('alice-rocks-2024', 'alice')).toMatch(/username/);
    expect(passwordProblem('aaaaaaaaaa', 'bob')).toMatch(/repeat/);
    expect(passwordProblem('correct horse battery staple', 'alice')).toBeNull();
    expect(passwordProblem('x'.repeat(10) + 'y'.repeat(100), 'alice')).toBeNull();
  });
  it('checks usernames like the protocol does', () => {
    expect(usernameProblem('alice')).toBeNull();
    expect(usernameProblem('al')).toMatch(/3 to 32/);
    expect(usernameProblem('Alice!')).toMatch(/lower-case/);
  });
});

describe('describeError', () => {
  it('says every failure in words', () => {
    expect(describeError({ code: 'USERNAME_TAKEN', message: 'x' })).toMatch(/taken/);
    expect(describeError({ code: 'MEMBERSHIP_RULE', message: 'only an admin may invite' })).toBe(
      'only an admin may invite',
    );
    expect(describeError({ code: 'SOMETHING_NEW' })).toContain('SOMETHING_NEW');
    expect(describeError(new TypeError('Failed to fetch'))).toMatch(/reach the server/);
    expect(describeError(null)).toMatch(/went wrong/);
  });

  it('[K8] [K7] [R4] says a refused login or a refused send with the cause the SDK named', () => {
    const kdf =
      'the server offered a key derivation of 1000 iterations, below the minimum of 600000; your password was not used';
    expect(describeError({ code: 'KDF_TOO_WEAK', message: kdf })).toBe(
      `Login refused: ${kdf}. A weak derivation would make your password cheap to guess. Tell your server admin.`,
    );
    expect(
      describeError({
        code: 'LOG_UNVERIFIED',
        message: 'cannot verify who is in this room: the server left out event 5 of the log',
      }),
    ).toBe(
      'Not sent: cannot verify who is in this room: the server left out event 5 of the log. The server may be hiding a change of who is in this room.',
    );
  });
});

const page = (messages: DecryptedMessage[], hasMore: boolean, notices: MembershipNotice[] = []): HistoryPage => ({
  messages,
  notices,
  hasMore,
  oldestSeq: Math.min(...messages.map((m) => m.seq), ...notices.map((n) => n.seq)),
});

describe('chat reducer', () => {
  it('[R2] membership notices of a history page join the timeline between the messages', () => {
    const invite: MembershipNotice = {
      room: 'r1',
      seq: 2,
      ts: 0,
      type: 'invite',
      actor: 'alice',
      target: 'bob',
      valid: true,
    };
    const s = chatReducer(initialChatState('alice'), {
      type: 'history',
      room: 'r1',
      page: page([msg(1), msg(3)], false, [invite]),
    });
    expect(timelineOf(s, 'r1').items.map((i) => [i.seq, i.kind])).toEqual([
      [1, 'message'],
      [2, 'member'],
      [3, 'message'],
    ]);
  });

  it('unread counts restored from read marks are not counted twice when the resume replays them', () => {
    let s = chatReducer(initialChatState('alice'), { type: 'open', room: 'r2' });
    s = chatReducer(s, { type: 'unread', counts: { r1: { count: 2, upTo: 7 }, r2: { count: 4, upTo: 3 } } });
    expect(s.unread).toEqual({ r1: 2, r2: 0 });
    s = chatReducer(s, { type: 'message', message: msg(7), now: 0, visible: true });
    expect(s.unread.r1).toBe(2);
    s = chatReducer(s, { type: 'message', message: msg(8), now: 0, visible: true });
    expect(s.unread.r1).toBe(3);
    s = chatReducer(s, { type: 'unread', counts: { r1: { count: 2, upTo: 7 } } });
    expect(s.unread.r1).toBe(3);
  });

  it('[R1] keeps the timeline ordered by seq without duplicates, history merged in', () => {
    let s = initialChatState('alice');
    s = chatReducer(s, { type: 'message', message: msg(5), now: 0, visible: true });
    s = chatReducer(s, { type: 'history', room: 'r1', page: page([msg(3), msg(4), msg(5)], true) });
    s = chatReducer(s, { type: 'message', message: msg(5), now: 0, visible: true });
    expect(timelineOf(s, 'r1').items.map((i) => i.seq)).toEqual([3, 4, 5]);
    expect(timelineOf(s, 'r1').hasMore).toBe(true);
    s = chatReducer(s, { type: 'history', room: 'r1', page: page([], false) });
    expect(timelineOf(s, 'r1').hasMore).toBe(false);
  });

  it("[M6] a missing key names whom it waits for: the sender, or the reader's other device for their own", () => {
    expect(statusWords('missing_key', 'bob')).toMatch(/^Waiting for the key from bob: /);
    expect(statusWords('missing_key', 'alice', true)).toMatch(/^Sent from another of your devices: /);
    expect(statusWords('sender_left', 'bob')).toMatch(/bob has left the room, so nobody can send it now/);
  });

  it('[M6] a recovered message replaces its placeholder', () => {
    let s = initialChatState('alice');
    s = chatReducer(s, {
      type: 'message',
      message: msg(1, { status: 'missing_key', text: undefined }),
      now: 0,
      visible: true,
    });
    s = chatReducer(s, { type: 'recovered', message: msg(1) });
    const [item] = timelineOf(s, 'r1').items;
    expect(item?.kind === 'message' && item.message.text).toBe('m1');
  });

  it('counts unread messages of rooms not on screen, and clears them on open', () => {
    let s = chatReducer(initialChatState('alice'), { type: 'open', room: 'r2' });
    s = chatReducer(s, { type: 'message', message: msg(1), now: 0, visible: true });
    s = chatReducer(s, { type: 'message', message: msg(1), now: 0, visible: true });
    s = chatReducer(s, { type: 'message', message: msg(2, { sender: 'alice' }), now: 0, visible: true });
    expect(s.unread.r1).toBe(1);
    s = chatReducer(s, { type: 'open', room: 'r1' });
    expect(s.unread.r1).toBe(0);
  });

  it('shows typing until it expires or the person sends', () => {
    let s = initialChatState('alice');
    s = chatReducer(s, { type: 'typing', room: 'r1', user: 'bob', until: 5_000 });
    s = chatReducer(s, { type: 'typing', room: 'r1', user: 'alice', until: 5_000 });
    expect(typingUsers(s, 'r1', 1_000)).toEqual(['bob']);
    expect(typingUsers(s, 'r1', 6_000)).toEqual([]);
    s = chatReducer(s, { type: 'message', message: msg(1), now: 1_000, visible: true });
    expect(typingUsers(s, 'r1', 1_000)).toEqual([]);
  });

  it('[K6] keeps a key change warning until the keys are accepted', () => {
    let s = chatReducer(initialChatState('alice'), { type: 'keychange', user: 'bob' });
    s = chatReducer(s, { type: 'keychange', user: 'bob' });
    expect(s.keyChanges).toEqual(['bob']);
    expect(chatReducer(s, { type: 'keyaccepted', user: 'bob' }).keyChanges).toEqual([]);
  });

  it('[R4] names a direct message after the other person only when its verified membership says it is one', () => {
    const dm = { id: 'x', name: 'alice & bob', public: false, role: null, headSeq: 1, official: false };
    let s = chatReducer(initialChatState('alice'), { type: 'direct', room: 'x', peer: 'bob' });
    expect(roomLabel(dm, s.direct)).toBe('@bob');
    // A room someone else named "alice & bob", with other members: its name, as it is.
    s = chatReducer(s, { type: 'direct', room: 'x', peer: null });
    expect(roomLabel(dm, s.direct)).toBe('alice & bob');
    expect(looksDirect('alice & bob')).toBe(true);
    expect(looksDirect('plans')).toBe(false);
  });

  it('a room that leaves the list (left, or removed from) is no longer the open one; another stays open', () => {
    const general = { id: 'g', name: 'general', public: true, role: null, headSeq: 1, official: true };
    const plans = { ...general, id: 'p', name: 'plans', public: false, official: false };
    let s = chatReducer(initialChatState('alice'), { type: 'rooms', rooms: [general, plans] });
    s = chatReducer(s, { type: 'open', room: 'p' });
    s = chatReducer(s, { type: 'rooms', rooms: [general, plans] });
    expect(s.active).toBe('p');
    s = chatReducer(s, { type: 'rooms', rooms: [general] });
    expect(s.active).toBeNull();
  });

  it('[R3] shows "general" as such only for the room the server made; another room so named says so', () => {
    const room = { id: 'g', name: 'general', public: true, role: null, headSeq: 1, official: true };
    expect(roomLabel(room, {})).toBe('general');
    expect(roomLabel({ ...room, official: false }, {})).toBe("general (not the server's)");
    expect(roomLabel({ ...room, name: 'plans', official: false }, {})).toBe('plans');
  });
});

const warning = (kind: IntegrityWarning['kind'], detail = 'd', room = 'r1', user?: string): IntegrityWarning => ({
  room,
  kind,
  detail,
  ...(user ? { user } : {}),
});

describe('integrity warnings in words [R1] [M4] [M5] [D3]', () => {
  it('[M4] names the sender whose messages were withheld or replayed', () => {
    expect(
      integritySentence(warning('counter_gap', '2 message(s) of alice before seq 9 are missing', 'r1', 'alice')),
    ).toBe('Some messages from alice were withheld by the server.');
    expect(
      integritySentence(warning('counter_replay', "bob.x's counter 3 at seq 9 was already seen", 'r1', 'bob.x')),
    ).toMatch(/^A message from bob\.x was delivered a second time/);
    expect(integritySentence(warning('counter_gap', 'something else'))).toBe(
      'Some messages from a member were withheld by the server.',
    );
  });

  it('[R1] says a forked or badly signed history may have been altered', () => {
    const altered =
      "The server's record of this room does not match what it signed: history may have been altered.";
    expect(integritySentence(warning('chain_mismatch'))).toBe(altered);
    expect(integritySentence(warning('bad_head'))).toBe(altered);
  });

  it('gives every kind one plain sentence, without the technical detail', () => {
    const kinds: IntegrityWarning['kind'][] = [
      'gap',
      'bad_head',
      'missing_head',
      'chain_mismatch',
      'counter_gap',
      'counter_replay',
      'invalid_membership',
      'invalid_event',
    ];
    for (const kind of kinds) {
      const text = integritySentence(warning(kind, 'seq 42 chain x'));
      expect(text).toMatch(/^[A-Z].*\.$/);
      expect(text).not.toContain('seq 42');
    }
  });

  it('shows a warning once per room and sentence, until dismissed', () => {
    let s = initialChatState('alice');
    s = chatReducer(s, { type: 'integrity', warning: warning('bad_head', 'head 3') });
    s = chatReducer(s, { type: 'integrity', warning: warning('bad_head', 'head 4') });
    s = chatReducer(s, { type: 'integrity', warning: warning('chain_mismatch', 'event 5') });
    s = chatReducer(s, { type: 'integrity', warning: warning('gap', 'events 2..3', 'r2') });
    expect(s.alerts.r1?.map((a) => [a.kind, a.detail])).toEqual([['bad_head', 'head 3']]);
    expect(s.alerts.r2?.map((a) => a.kind)).toEqual(['gap']);
    s = chatReducer(s, {
      type: 'integrity',
      warning: warning('counter_gap', '1 message(s) of bob before seq 9', 'r1', 'bob'),
    });
    s = chatReducer(s, {
      type: 'integrity',
      warning: warning('counter_gap', '1 message(s) of carol before seq 9', 'r1', 'carol'),
    });
    expect(s.alerts.r1).toHaveLength(3);

    const text = s.alerts.r1?.[0]?.text ?? '';
    s = chatReducer(s, { type: 'dismissAlert', room: 'r1', text });
    expect(s.alerts.r1?.map((a) => a.kind)).toEqual(['counter_gap', 'counter_gap']);
    s = chatReducer(s, { type: 'dismissAlert', room: 'r2', text: s.alerts.r2?.[0]?.text ?? '' });
    expect(s.alerts.r2).toBeUndefined();
    // Seen again after a dismissal: shown again.
    s = chatReducer(s, { type: 'integrity', warning: warning('bad_head', 'head 9') });
    expect(s.alerts.r1?.at(-1)?.text).toBe(text);
  });

  it('keeps a bounded number of warnings per room', () => {
    let s = initialChatState('alice');
    for (let i = 0; i < 30; i++) {
      s = chatReducer(s, {
        type: 'integrity',
        warning: warning('counter_gap', `1 message(s) of u${i} before seq 1`, 'r1', `u${i}`),
      });
    }
    expect(s.alerts.r1).toHaveLength(MAX_ALERTS_PER_ROOM);
    expect(s.alerts.r1?.at(-1)?.text).toContain('u29');
  });
});
