// The room list: a navigation landmark named "Rooms", unread counts, and the two ways to start talking.
import type { HistoryVisibility, ParleyClient, RoomSummary } from '@parley/sdk';
import type { ChatState } from '../state/chat-state.ts';
import type { ChatActions } from '../state/use-chat.ts';
import { CreateRoomForm } from './CreateRoomForm.tsx';
import { InlineForm } from './InlineForm.tsx';

interface Props {
  client: ParleyClient;
  state: ChatState;
  actions: ChatActions;
  onError: (e: unknown) => void;
}

const DM_NAME = /^[a-z0-9][a-z0-9_.-]* & [a-z0-9][a-z0-9_.-]*$/;

/** Named as the SDK's directMessage names a room ("alice & bob"): worth asking whether it is one. */
export const looksDirect = (name: string): boolean => DM_NAME.test(name);

/** The name of the room every account joins, made by the server itself [R3]. */
const SERVER_ROOM = 'general';

/**
 * A direct message shows the other person. Which rooms are direct messages comes from the client's verified
 * membership (`direct`, filled by directPeer) [R4], never from the name alone: anyone can name a room
 * "alice & bob". Likewise anyone can name a room "general": only the one whose create event the server
 * signed (`official`) is shown as just "general" [R3].
 */
export function roomLabel(room: RoomSummary, direct: Readonly<Record<string, string>>): string {
  const peer = direct[room.id];
  if (peer !== undefined) return `@${peer}`;
  return room.name === SERVER_ROOM && !room.official ? `${room.name} (not the server's)` : room.name;
}

function RoomLink({ room, state, onOpen }: { room: RoomSummary; state: ChatState; onOpen: () => void }) {
  const unread = state.unread[room.id] ?? 0;
  const label = roomLabel(room, state.direct);
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
  async function createRoom(name: string, history: HistoryVisibility) {
    try {
      const room = await client.createRoom(name, { history });
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
      <CreateRoomForm onSubmit={createRoom} />
      <InlineForm label="Start a direct chat with" button="Start chat" onSubmit={directMessage} />
    </nav>
  );
}
