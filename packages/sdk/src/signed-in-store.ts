// The key store as the client's parts see it. Logout wipes the store, but work begun before it (a history page
// read ahead, a key share being opened, a read mark) can finish after it; its writes must not put keys back on
// the device, nor re-create the browser database that logout deleted. So from logout until the next sign-in
// begins, writes are dropped and reads find nothing, without touching the store underneath; and the wipe waits
// for the writes already under way, which a store of files could otherwise finish after it.
import type { KeyStore } from './types.ts';

export class SignedInStore implements KeyStore {
  readonly persistsCryptoKeys: boolean;
  #signedOut = false;
  readonly #writing = new Set<Promise<void>>();

  constructor(private readonly inner: KeyStore) {
    this.persistsCryptoKeys = inner.persistsCryptoKeys;
  }

  /** A sign-in (register, login, resume) begins: the store is used again. */
  open(): void {
    this.#signedOut = false;
  }

  /** Logout begins: from now on nothing is written, and nothing is read back. */
  close(): void {
    this.#signedOut = true;
  }

  get<T>(key: string): Promise<T | undefined> {
    return this.#signedOut ? Promise.resolve(undefined) : this.inner.get<T>(key);
  }

  set(key: string, value: unknown): Promise<void> {
    return this.#write(() => this.inner.set(key, value));
  }

  setMany(entries: readonly (readonly [string, unknown])[]): Promise<void> {
    return this.#write(() => this.inner.setMany(entries));
  }

  delete(key: string): Promise<void> {
    return this.#write(() => this.inner.delete(key));
  }

  /** Logout: nothing is written from now on, and what was written before (or is being written) is wiped. */
  async clear(): Promise<void> {
    this.close();
    await Promise.allSettled([...this.#writing]);
    await this.inner.clear();
  }

  #write(write: () => Promise<void>): Promise<void> {
    if (this.#signedOut) return Promise.resolve();
    const pending = write();
    this.#writing.add(pending);
    const settled = () => void this.#writing.delete(pending);
    pending.then(settled, settled);
    return pending;
  }
}
