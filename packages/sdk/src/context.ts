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
}

export interface Ctx {
  readonly api: Api;
  readonly store: KeyStore;
  readonly emit: Emit;
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
