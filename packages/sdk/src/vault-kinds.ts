// [K9] The kinds of record the account vault holds, by id (context.ts vaultId): sender-key sessions and pins.
// Each kind is merged into this device's state by the part that owns it; a kind this client does not know (a
// newer client's) stays in the vault untouched.
import type { Inbound } from './inbound.ts';
import type { Pins } from './pins.ts';
import type { VaultKinds } from './vault.ts';
import { vaultId } from './context.ts';

type Parsed =
  | { kind: 'session'; room: string; sender: string; sessionId: string }
  | { kind: 'pin'; user: string }
  | { kind: 'server-pin' }
  | null;

function parse(id: string): Parsed {
  if (id === vaultId.serverPin) return { kind: 'server-pin' };
  const [kind, ...rest] = id.split(':');
  if (kind === 's' && rest.length === 3)
    return { kind: 'session', room: rest[0]!, sender: rest[1]!, sessionId: rest[2]! };
  if (kind === 'p' && rest.length === 1) return { kind: 'pin', user: rest[0]! };
  return null;
}

/** `inbound` is read when a record arrives (it is made after the vault). */
export function vaultKinds(parts: { inbound: () => Inbound; pins: Pins }): VaultKinds {
  return {
    async apply(id, value) {
      const r = parse(id);
      if (r?.kind === 'session') await parts.inbound().adopt(r.room, r.sender, r.sessionId, value);
      else if (r?.kind === 'pin') await parts.pins.adopt(r.user, value);
      else if (r?.kind === 'server-pin') await parts.pins.adoptServer(value);
    },
    async current(id) {
      const r = parse(id);
      if (r?.kind === 'session') return parts.inbound().vaultRecord(r.room, r.sender, r.sessionId);
      if (r?.kind === 'pin') return parts.pins.vaultRecord(r.user);
      if (r?.kind === 'server-pin') return parts.pins.serverPin();
      return null;
    },
  };
}
