// The signed-in layout: header, banners, rooms on the left, the open room in the middle, its members right.
import { useCallback, useEffect, useRef, useState } from 'react';
import { vaultSentence, type ParleyClient } from '@parley/sdk';
import { describeError } from '../errors.ts';
import { useChat } from '../state/use-chat.ts';
import { ConnectionBanner } from './ConnectionBanner.tsx';
import { ErrorBar } from './ErrorBar.tsx';
import { KeyChangeBanner } from './KeyChangeBanner.tsx';
import { MembersPanel } from './MembersPanel.tsx';
import { RoomList, roomLabel } from './RoomList.tsx';
import { RoomView } from './RoomView.tsx';
import { SafetyNumberDialog } from './SafetyNumberDialog.tsx';

interface Props {
  client: ParleyClient;
  onSignedOut: (notice?: string) => void;
}

export function ChatScreen({ client, onSignedOut }: Props) {
  const [error, setError] = useState<string | null>(null);
  const [contact, setContact] = useState<string | null>(null);
  const onError = useCallback((e: unknown) => setError(describeError(e)), []);
  const [state, actions] = useChat(client, onError);
  // [K9] A key-backup record the server rolled back or swapped was ignored: said, in words.
  useEffect(() => client.on('vault', (w) => setError(vaultSentence(w))), [client]);
  const room = state.rooms.find((r) => r.id === state.active) ?? null;
  // Removed from a room (by a valid, signed kick [R4]): the room goes from the list, and this says why.
  const latest = useRef(state);
  latest.current = state;
  useEffect(
    () =>
      client.on('member', (n) => {
        if (n.type !== 'kick' || !n.valid || n.target !== client.user) return;
        const gone = latest.current.rooms.find((r) => r.id === n.room);
        setError(`${n.actor} removed you from ${gone ? roomLabel(gone, latest.current.direct) : 'a room'}.`);
      }),
    [client],
  );

  // Open the server's "general" (or the first room) once the list arrives [R3].
  useEffect(() => {
    if (state.active !== null || state.rooms.length === 0) return;
    const first = state.rooms.find((r) => r.official) ?? state.rooms[0];
    if (first) actions.open(first.id);
  }, [state.active, state.rooms, actions]);

  async function logOut() {
    try {
      await client.logout();
      onSignedOut();
    } catch (e) {
      // The keys are wiped even when the server could not be told; say so rather than pretend.
      onSignedOut(`Signed out on this device. ${describeError(e)}`);
    }
  }

  return (
    <div className="app">
      <header className="topbar">
        <strong className="brand">Parley</strong>
        <span className="me">
          Signed in as <b data-testid="current-user">{state.me}</b>
        </span>
        <button type="button" className="secondary" onClick={() => void logOut()}>
          Log out
        </button>
      </header>
      <ConnectionBanner state={state.connection} />
      <KeyChangeBanner users={state.keyChanges} onReview={setContact} />
      <ErrorBar error={error} onDismiss={() => setError(null)} />
      <div className="columns">
        <RoomList client={client} state={state} actions={actions} onError={onError} />
        {room ? (
          <RoomView key={room.id} client={client} room={room} state={state} actions={actions} onError={onError} />
        ) : (
          <main className="room empty">
            <p className="muted">Loading rooms…</p>
          </main>
        )}
        {room && (
          <MembersPanel client={client} room={room} state={state} onError={onError} onSelect={setContact} />
        )}
      </div>
      {contact && (
        <SafetyNumberDialog
          client={client}
          user={contact}
          onClose={() => setContact(null)}
          onVerified={() => actions.acceptKeys(contact)}
          onError={onError}
        />
      )}
    </div>
  );
}
