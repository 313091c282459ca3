// The key store as the client's parts see it: one partition per signed-in user, and nothing outside a sign-in.
//
// One person per store: a second account signed in on the same device (browser profile, CLI --home) must not
// inherit the first one's pins, verified flags or sessions, so every record is kept under its user's name and
// only the signed-in user's partition is read or written.
//
// Logout wipes the store, but work begun before it (a history page read ahead, a key share being opened, a
// read mark) can finish after it; its writes must not put keys back on the device, nor re-create the browser
// database that logout deleted. So from logout until the next sign-in begins, writes are dropped and reads find
// nothing, without touching the store underneath; and the wipe waits for the writes already under way, which a
// store of files could otherwise finish after it.
import type { KeyStore } from './types.ts';

/** The one record outside every partition: whose partition a resumed client opens. */
const CURRENT_USER = 'current-user';

export class SignedInStore implements KeyStore {
  readonly persistsCryptoKeys: boolean;
  #user: string | null = null;
  readonly #writing = new Set<Promise<void>>();

  constructor(private readonly inner: KeyStore) {
    this.persistsCryptoKeys = inner.persistsCryptoKeys;
  }

  /** The user whose partition is open, or null (signed out, or not yet signed in). */
  get user(): string | null {
    return this.#user;
  }

  /** A sign-in as `user` begins: their partition is used from now on. */
  open(user: string): void {
    this.#user = user;
  }

  /** The user a resumed client continues as: the last one whose sign-in completed here. */
  lastUser(): Promise<string | undefined> {
    return this.inner.get<string>(CURRENT_USER);
  }

  /** The sign-in completed: a later start resumes as this user. */
  async remember(): Promise<void> {
    if (this.#user !== null) await this.#write(() => this.inner.set(CURRENT_USER, this.#user));
  }

  /** Logout begins: from now on nothing is written, and nothing is read back. */
  close(): void {
    this.#user = null;
  }

  get<T>(key: string): Promise<T | undefined> {
    return this.#user === null ? Promise.resolve(undefined) : this.inner.get<T>(this.#key(this.#user, key));
  }

  set(key: string, value: unknown): Promise<void> {
    return this.#write((user) => this.inner.set(this.#key(user, key), value));
  }

  setMany(entries: readonly (readonly [string, unknown])[]): Promise<void> {
    return this.#write((user) => this.inner.setMany(entries.map(([key, value]) => [this.#key(user, key), value])));
  }

  delete(key: string): Promise<void> {
    return this.#write((user) => this.inner.delete(this.#key(user, key)));
  }

  deletePrefix(prefix: string): Promise<void> {
    return this.#write((user) => this.inner.deletePrefix(this.#key(user, prefix)));
  }

  async list<T>(prefix: string): Promise<[string, T][]> {
    const user = this.#user;
    if (user === null) return [];
    const own = this.#key(user, '');
    return (await this.inner.list<T>(this.#key(user, prefix))).map(([key, value]) => [
      key.slice(own.length),
      value,
    ]);
  }

  /** Logout: nothing is written from now on, and what was written before (or is being written) is wiped. */
  async clear(): Promise<void> {
    this.close();
    await Promise.allSettled([...this.#writing]);
    await this.inner.clear();
  }

  // '/' never occurs in a user id (USER_ID), so one partition's keys can never spell another's.
  #key(user: string, key: string): string {
    return `${user}/${key}`;
  }

  #write(write: (user: string) => Promise<void>): Promise<void> {
    if (this.#user === null) return Promise.resolve();
    const pending = write(this.#user);
    this.#writing.add(pending);
    const settled = () => void this.#writing.delete(pending);
    pending.then(settled, settled);
    return pending;
  }
}
