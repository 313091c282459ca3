// The timeline with scroll-back: reaching the top loads the previous page and keeps the view where it was;
// new messages scroll into view only when the reader is already at the bottom.
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { RoomTimeline } from '../state/chat-state.ts';
import { MessageItem, NoticeItem } from './MessageItem.tsx';

interface Props {
  me: string;
  timeline: RoomTimeline;
  onLoadOlder: () => Promise<void>;
}

const NEAR_BOTTOM_PX = 80;

export function MessageList({ me, timeline, onLoadOlder }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const sentinel = useRef<HTMLDivElement>(null);
  const [loading, setLoading] = useState(false);
  const anchor = useRef<{ firstSeq: number | undefined; height: number; atBottom: boolean }>({
    firstSeq: undefined,
    height: 0,
    atBottom: true,
  });
  const canLoad = timeline.loaded && timeline.hasMore && !loading;

  function loadOlder() {
    if (!canLoad) return;
    setLoading(true);
    void onLoadOlder().finally(() => setLoading(false));
  }

  // Before the DOM changes we cannot hook in, so remember the geometry after every render instead.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const before = anchor.current;
    const firstSeq = timeline.items[0]?.seq;
    if (before.firstSeq !== undefined && firstSeq !== before.firstSeq && !before.atBottom) {
      el.scrollTop += el.scrollHeight - before.height; // older page prepended: stay on the same message
    } else if (before.atBottom) {
      el.scrollTop = el.scrollHeight;
    }
    anchor.current = { firstSeq, height: el.scrollHeight, atBottom: anchor.current.atBottom };
  }, [timeline.items]);

  useEffect(() => {
    const el = sentinel.current;
    if (!el || !canLoad) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) loadOlder();
    });
    observer.observe(el);
    return () => observer.disconnect();
  });

  function onScroll() {
    const el = scroller.current;
    if (!el) return;
    anchor.current.atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
    anchor.current.height = el.scrollHeight;
  }

  return (
    <div className="scroller" ref={scroller} onScroll={onScroll}>
      <div ref={sentinel} className="history-edge">
        {!timeline.loaded || loading ? (
          <span className="muted small">Loading history…</span>
        ) : timeline.hasMore ? (
          <button type="button" className="link" onClick={loadOlder}>
            Load older messages
          </button>
        ) : (
          <span className="muted small">Start of the room</span>
        )}
      </div>
      <ol className="messages" aria-label="Conversation">
        {timeline.items.map((item) =>
          item.kind === 'message' ? (
            <MessageItem key={item.seq} message={item.message} mine={item.message.sender === me} />
          ) : (
            <NoticeItem key={item.seq} notice={item.notice} />
          ),
        )}
      </ol>
    </div>
  );
}
