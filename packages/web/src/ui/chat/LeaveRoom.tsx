// Leaving a room, asked twice: the user's devices drop the room's keys as they leave, so its messages are not
// shown here again (an admin can invite them back; they then read from their return, or from the start where
// the room's history is shared).
import { useEffect, useRef, useState } from 'react';

interface Props {
  label: string;
  onLeave: () => Promise<void>;
  onError: (e: unknown) => void;
}

export function LeaveRoom({ label, onLeave, onError }: Props) {
  const [asking, setAsking] = useState(false);
  const [leaving, setLeaving] = useState(false);
  // The question takes the button's place: the keyboard goes to the safe answer, and comes back after.
  const stay = useRef<HTMLButtonElement>(null);
  const ask = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);
  useEffect(() => {
    if (asking) stay.current?.focus();
    else if (wasAsking.current) ask.current?.focus();
    wasAsking.current = asking;
  }, [asking]);
  if (!asking) {
    return (
      <button ref={ask} type="button" className="link danger leave" onClick={() => setAsking(true)}>
        Leave room
      </button>
    );
  }
  async function leave() {
    setLeaving(true);
    try {
      await onLeave();
    } catch (e) {
      onError(e);
      setLeaving(false);
      setAsking(false);
    }
  }
  return (
    <span
      className="leave"
      role="group"
      aria-label="Leave this room?"
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !leaving) setAsking(false);
      }}
    >
      <span>Leave {label}? Its messages will no longer be shown to you.</span>
      <button type="button" className="danger" disabled={leaving} onClick={() => void leave()}>
        {leaving ? 'Leaving…' : 'Leave'}
      </button>
      <button ref={stay} type="button" className="secondary" disabled={leaving} onClick={() => setAsking(false)}>
        Stay
      </button>
    </span>
  );
}
