// Leaving a room, asked twice: the user's devices drop the room's keys as they leave, so its messages are not
// shown here again (an admin can invite them back; they then read from their return, or from the start where
// the room's history is shared).
import { useState } from 'react';

interface Props {
  label: string;
  onLeave: () => Promise<void>;
  onError: (e: unknown) => void;
}

export function LeaveRoom({ label, onLeave, onError }: Props) {
  const [asking, setAsking] = useState(false);
  const [leaving, setLeaving] = useState(false);
  if (!asking) {
    return (
      <button type="button" className="link danger leave" onClick={() => setAsking(true)}>
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
    <span className="leave" role="group" aria-label="Leave this room?">
      <span>Leave {label}? Its messages will no longer be shown to you.</span>
      <button type="button" className="danger" disabled={leaving} onClick={() => void leave()}>
        {leaving ? 'Leaving…' : 'Leave'}
      </button>
      <button type="button" className="secondary" disabled={leaving} onClick={() => setAsking(false)}>
        Stay
      </button>
    </span>
  );
}
