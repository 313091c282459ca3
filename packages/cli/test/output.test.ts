// [M6] What a message line says when the message cannot be shown: whom its key waits for, in words.
import type { DecryptedMessage } from '@parley/sdk';
import { describe, expect, it } from 'vitest';
import { messageBody } from '../src/output.ts';

const m = (over: Partial<DecryptedMessage>): DecryptedMessage => ({
  room: 'r1',
  seq: 3,
  ts: 0,
  sender: 'alice',
  clientMsgId: 'c',
  status: 'ok',
  text: 'hi',
  senderVerified: false,
  ...over,
});

describe('[M6] messageBody', () => {
  it("names the sender a missing key is asked of, or the reader's own other device for their own message", () => {
    expect(messageBody(m({ status: 'missing_key', text: undefined }), 'bob')).toBe(
      '[waiting for the key from alice]',
    );
    expect(messageBody(m({ status: 'missing_key', text: undefined }), 'alice')).toBe(
      '[waiting for the key from your other device]',
    );
  });

  it('says when nobody can send the key, and why any other message is not shown', () => {
    expect(messageBody(m({ status: 'sender_left', text: undefined }), 'bob')).toBe(
      '[no key: alice left the room before sending it]',
    );
    expect(messageBody(m({ status: 'not_member', text: undefined }), 'bob')).toMatch(/^\[REJECTED: /);
  });

  it('escapes control characters in the text, so one message stays one line', () => {
    expect(messageBody(m({ text: 'a\nb' }), 'bob')).toBe('a\\u000ab');
  });
});
