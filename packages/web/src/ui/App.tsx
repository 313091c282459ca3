// Top level: restore the session from IndexedDB (a reload keeps you signed in), else ask for credentials.
import { useEffect, useState } from 'react';
import type { ParleyClient } from '@parley/sdk';
import { AuthScreen } from './auth/AuthScreen.tsx';
import { ChatScreen } from './chat/ChatScreen.tsx';
import { describeError } from './errors.ts';

type Phase = { kind: 'resuming' } | { kind: 'signed-out'; notice?: string } | { kind: 'signed-in'; user: string };

export function App({ client }: { client: ParleyClient }) {
  const [phase, setPhase] = useState<Phase>({ kind: 'resuming' });

  useEffect(() => {
    let live = true;
    client.resume().then(
      (ok) =>
        live && setPhase(ok && client.user ? { kind: 'signed-in', user: client.user } : { kind: 'signed-out' }),
      (e: unknown) => live && setPhase({ kind: 'signed-out', notice: describeError(e) }),
    );
    return () => {
      live = false;
    };
  }, [client]);

  if (phase.kind === 'resuming') {
    return (
      <main className="center" aria-busy="true">
        <p role="status">Opening Parley…</p>
      </main>
    );
  }
  if (phase.kind === 'signed-out') {
    return (
      <AuthScreen
        client={client}
        notice={phase.notice}
        onSignedIn={(user) => setPhase({ kind: 'signed-in', user })}
      />
    );
  }
  return (
    <ChatScreen
      key={phase.user}
      client={client}
      onSignedOut={(notice) => setPhase({ kind: 'signed-out', ...(notice ? { notice } : {}) })}
    />
  );
}
