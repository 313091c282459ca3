// Who is in the room and who is online. Presence from live events overrides the snapshot from members().
import { useEffect, useState } from 'react';
import { isParleyError, type Member, type ParleyClient, type RoomSummary } from '@parley/sdk';
import type { ChatState } from '../state/chat-state.ts';
import { InlineForm } from './InlineForm.tsx';

interface Props {
  client: ParleyClient;
  room: RoomSummary;
  state: ChatState;
  onError: (e: unknown) => void;
  onSelect: (user: string) => void;
}

function useMembers(client: ParleyClient, room: RoomSummary, state: ChatState, onError: (e: unknown) => void) {
  const [members, setMembers] = useState<Member[]>([]);
  const notices = state.timelines[room.id]?.items.filter((i) => i.kind === 'member').length ?? 0;
  // The member list folds the room's whole log: after the first page of messages, which people wait for.
  const loaded = state.timelines[room.id]?.loaded ?? false;
  useEffect(() => {
    if (!loaded) return;
    let live = true;
    client.members(room.id).then(
      (list) => live && setMembers(list),
      // Removed from the room (the notice that brought this here): the room list lets go of it, and the
      // removal is said once, by the chat screen; no second error for the same thing.
      (e: unknown) => isOutOfRoom(e) || onError(e),
    );
    return () => {
      live = false;
    };
  }, [client, room.id, room.headSeq, notices, loaded, onError]);
  return members;
}

const isOutOfRoom = (e: unknown) => isParleyError(e, 'UNKNOWN_ROOM') || isParleyError(e, 'NOT_MEMBER');

export function MembersPanel({ client, room, state, onError, onSelect }: Props) {
  const members = useMembers(client, room, state, onError);
  // From the client's own verified fold [R4]: the server cannot make someone an admin here.
  const iAmAdmin = members.some((m) => m.user === state.me && m.role === 'admin');
  const online = (m: Member) =>
    m.user === state.me ? state.connection === 'online' : (state.presence[m.user] ?? m.online);
  const sorted = [...members].sort(
    (a, b) => Number(online(b)) - Number(online(a)) || a.user.localeCompare(b.user),
  );
  return (
    <aside className="members" aria-label="Members">
      <h2>Members</h2>
      <ul>
        {sorted.map((m) => (
          <li key={m.user} data-user={m.user} data-online={online(m)}>
            <span className={`dot ${online(m) ? 'on' : 'off'}`} aria-hidden="true" />
            <span className="member-name">{m.user}</span>
            <span className="presence">{online(m) ? 'online' : 'offline'}</span>
            {m.role === 'admin' && <span className="badge">admin</span>}
            {m.user !== state.me && (
              <button type="button" className="link" onClick={() => onSelect(m.user)}>
                Safety number
              </button>
            )}
            {iAmAdmin && m.user !== state.me && m.role !== 'admin' && (
              <button
                type="button"
                className="link"
                onClick={() => void client.promote(room.id, m.user).catch(onError)}
              >
                Make admin
              </button>
            )}
            {iAmAdmin && m.user !== state.me && (
              <button
                type="button"
                className="link danger"
                onClick={() => void client.kick(room.id, m.user).catch(onError)}
              >
                Remove from room
              </button>
            )}
          </li>
        ))}
      </ul>
      {!room.public && (
        <InlineForm
          label="Invite member"
          button="Invite"
          onSubmit={(user) => client.invite(room.id, user.toLowerCase()).catch(onError)}
        />
      )}
    </aside>
  );
}
