import type { ConnectionState } from '@parley/sdk';

const WORDS: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  online: 'Online',
  reconnecting: 'Connection lost — reconnecting…',
  offline: 'Offline. Messages will not arrive until the connection is back.',
};

/** Always present (so screen readers hear changes), loud only when something is wrong. */
export function ConnectionBanner({ state }: { state: ConnectionState }) {
  return (
    <div role="status" aria-label="Connection" className={`banner connection ${state}`} data-state={state}>
      {WORDS[state]}
    </div>
  );
}
