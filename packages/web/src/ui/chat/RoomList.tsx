// The room list: a navigation landmark named "Rooms", unread counts, and the two ways to start talking.
import type { ParleyClient, RoomSummary } from '@parley/sdk';
import type { ChatState } from '../state/chat-state.ts';
import type { ChatActions } from '../state/use-chat.ts';
import { InlineForm } from './InlineForm.tsx';

interface Props {
  client: ParleyClient;
  state: ChatState;
  actions: ChatActions;
  onError: (e: unknown) => void;
}

const DM_NAME = /^([a-z0-9][a-z0-9_.-]*) & ([a-z0-9][a-z0-9_.-]*)$/;

/** A direct message is a private room named "alice & bob" (the SDK's directMessage): show the other person. */
export function roomLabel(room: RoomSummary, me: string): string {
  const pair = room.public ? null : DM_NAME.exec(room.name);
  if (!pair || (pair[1] !== me && pair[2] !== me)) return room.name;
  return `@${pair[1] === me ? pair[2] : pair[1]}`;
}

function RoomLink({ room, state, onOpen }: { room: RoomSummary; state: ChatState; onOpen: () => void }) {
  const unread = state.unread[room.id] ?? 0;
  const label = roomLabel(room, state.me);
  const warned = (state.alerts[room.id]?.length ?? 0) > 0;
  return (
    <li>
      <a
        href={`#${room.id}`}
        aria-current={room.id === state.active ? 'page' : undefined}
        onClick={(e) => {
          e.preventDefault();
          onOpen();
        }}
      >
        <span className="room-name">{label}</span>
        {warned && (
          <span className="room-warning" role="img" aria-label="integrity warning" title="Integrity warning">
            ⚠
          </span>
        )}
        {unread > 0 && (
          <span className="unread" aria-label={`${unread} unread`}>
            {unread}
          </span>
        )}
      </a>
    </li>
  );
}

export function RoomList({ client, state, actions, onError }: Props) {
  async function createRoom(name: string) {
    try {
      const room = await client.createRoom(name);
      await actions.refreshRooms();
      actions.open(room.id);
    } catch (e) {
      onError(e);
    }
  }
  async function directMessage(user: string) {
    try {
      const room = await client.directMessage(user.trim().toLowerCase());
      await actions.refreshRooms();
      actions.open(room.id);
    } catch (e) {
      onError(e);
    }
  }
  return (
    <nav aria-label="Rooms" className="sidebar">
      <h2>Rooms</h2>
      <ul className="rooms">
        {state.rooms.map((room) => (
          <RoomLink key={room.id} room={room} state={state} onOpen={() => actions.open(room.id)} />
        ))}
      </ul>
      <InlineForm label="New room name" button="Create room" onSubmit={createRoom} />
      <InlineForm label="Start a direct chat with" button="Start chat" onSubmit={directMessage} />
    </nav>
  );
}
