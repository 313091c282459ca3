// What every part of the client shares: the HTTP API, the key store, the event emitter and the signed-in user.
// Store keys live here so two modules can never pick the same name for different things.
import type { AccountKeys } from '@parley/protocol';
import type { Api } from './api.ts';
import type { Emit } from './emitter.ts';
import { ParleyError } from './errors.ts';
import type { KeyStore } from './types.ts';

export interface Me {
  user: string;
  signing: CryptoKey;
  encryption: CryptoKey;
  /** The account's public keys and wrapped private keys, as the server holds them (for password change). */
  bundle: AccountKeys;
  /** [K9] The account vault's key (AES-256-GCM), derived from the password with the wrap key. */
  vault: CryptoKey;
}

/** [K9] How the parts hand the account vault what must not be lost: queued, written in batches later. */
export interface VaultWriter {
  /** Queues a record; no request now. */
  queueWrite(id: string, value: unknown): void;
  /** Writes what is queued (a request, when anything is). */
  flush(): Promise<void>;
}

/** The vault's record ids [K9]: what each record holds, in words the server may see (it relays the same ids). */
export const vaultId = {
  session: (room: string, sender: string, sessionId: string) => `s:${room}:${sender}:${sessionId}`,
  pin: (user: string) => `p:${user}`,
  serverPin: 'server-pin',
} as const;

export interface Ctx {
  readonly api: Api;
  readonly store: KeyStore;
  readonly emit: Emit;
  readonly vault: VaultWriter;
  /** The signed-in user; throws NOT_LOGGED_IN when there is none. */
  me(): Me;
}

export const storeKey = {
  session: 'session',
  account: 'account',
  serverPin: 'pin-server',
  pin: (user: string) => `pin:${user}`,
  lastSeq: 'last-seq',
  outbound: (room: string) => `out:${room}`,
  outboundPast: (room: string) => `out-past:${room}`,
  ownCounter: (room: string) => `counter:${room}`,
  inbound: (room: string, sender: string, sessionId: string) => `in:${room}:${sender}:${sessionId}`,
  /** The prefix of every inbound session of `room` (room ids are b64u: never a ':'). */
  inboundOf: (room: string) => `in:${room}:`,
  counters: (room: string) => `counters:${room}`,
  readMarks: 'read-marks',
  /** Where this device stands in the account vault: feed position and versions seen [K9]. */
  vault: 'vault',
} as const;

export function notLoggedIn(): ParleyError {
  return new ParleyError('NOT_LOGGED_IN', 'not logged in: run login first');
}

/** Runs async jobs one after another: ratchet state and counters must never be updated concurrently. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job, job);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
