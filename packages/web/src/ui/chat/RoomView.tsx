// One open room: its timeline, who is typing, and the composer.
import type { ParleyClient, RoomSummary } from '@parley/sdk';
import { timelineOf, typingUsers } from '../state/chat-state.ts';
import type { ChatState } from '../state/chat-state.ts';
import type { ChatActions } from '../state/use-chat.ts';
import { Composer } from './Composer.tsx';
import { IntegrityBanner } from './IntegrityBanner.tsx';
import { LeaveRoom } from './LeaveRoom.tsx';
import { MessageList } from './MessageList.tsx';
import { roomLabel } from './RoomList.tsx';

interface Props {
  client: ParleyClient;
  room: RoomSummary;
  state: ChatState;
  actions: ChatActions;
  onError: (e: unknown) => void;
}

function TypingIndicator({ users }: { users: string[] }) {
  const text =
    users.length === 0
      ? ''
      : users.length === 1
        ? `${users[0]} is typing…`
        : `${users.slice(0, -1).join(', ')} and ${users.at(-1)} are typing…`;
  return (
    <p className="typing" aria-live="polite" data-testid="typing">
      {text}
    </p>
  );
}

export function RoomView({ client, room, state, actions, onError }: Props) {
  const timeline = timelineOf(state, room.id);
  const label = roomLabel(room, state.direct);
  return (
    <main className="room" aria-label={`Room ${label}`}>
      <header className="room-header">
        <h2>{label}</h2>
        <span className="muted small">{room.public ? 'Public room' : 'Private room'} · end-to-end encrypted</span>
        {/* The server's own room is where everyone meets: it has no way back in from here, so no way out. */}
        {!room.official && <LeaveRoom label={label} onLeave={() => actions.leave(room.id)} onError={onError} />}
      </header>
      <IntegrityBanner
        alerts={state.alerts[room.id] ?? []}
        onDismiss={(text) => actions.dismissAlert(room.id, text)}
      />
      <MessageList me={state.me} timeline={timeline} onLoadOlder={() => actions.loadOlder(room.id)} />
      <TypingIndicator users={typingUsers(state, room.id, Date.now())} />
      <Composer
        onSend={(text) => actions.send(room.id, text)}
        onTyping={() => client.typing(room.id)}
        onError={onError}
      />
    </main>
  );
}
