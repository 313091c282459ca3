// Enter sends, Shift+Enter starts a new line. Typing notices are throttled to one every few seconds.
import { useRef, useState } from 'react';
import type { KeyboardEvent } from 'react';

const TYPING_EVERY_MS = 3_000;

interface Props {
  onSend: (text: string) => Promise<void>;
  onTyping: () => void;
  onError: (e: unknown) => void;
}

export function Composer({ onSend, onTyping, onError }: Props) {
  const [text, setText] = useState('');
  const [sending, setSending] = useState(false);
  const lastTyping = useRef(0);

  async function send() {
    const body = text.trim();
    if (body === '' || sending) return;
    setSending(true);
    try {
      await onSend(text);
      lastTyping.current = 0; // the next message starts a new typing notice at once
      // Keep anything typed while the message was on its way.
      setText((current) => (current === text ? '' : current));
    } catch (e) {
      onError(e); // the text stays in the box, so nothing is lost
    } finally {
      setSending(false);
    }
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void send();
    }
  }

  function onChange(value: string) {
    setText(value);
    const now = Date.now();
    if (value !== '' && now - lastTyping.current > TYPING_EVERY_MS) {
      lastTyping.current = now;
      onTyping();
    }
  }

  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <label htmlFor="composer" className="visually-hidden">
        Message
      </label>
      <textarea
        id="composer"
        rows={2}
        placeholder="Write a message — Enter sends, Shift+Enter for a new line"
        value={text}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={onKeyDown}
        aria-busy={sending}
      />
      <button type="submit" disabled={sending || text.trim() === ''}>
        Send
      </button>
    </form>
  );
}
