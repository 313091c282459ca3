// The browser's KeyStore: IndexedDB keeps CryptoKey objects by structured clone, so private keys stay
// non-extractable and still survive a page reload — the password is not needed again until logout.
import type { KeyStore } from './types.ts';

const STORE = 'kv';

/** Options for {@link IdbStore}. */
export interface IdbStoreOptions {
  /** Database name. Default 'parley'. */
  name?: string;
  /** The IndexedDB factory. Default `globalThis.indexedDB`. */
  indexedDB?: IDBFactory;
}

function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });
}

export class IdbStore implements KeyStore {
  readonly persistsCryptoKeys = true;
  readonly #name: string;
  readonly #factory: IDBFactory;
  #db: Promise<IDBDatabase> | null = null;

  constructor(options: IdbStoreOptions = {}) {
    this.#name = options.name ?? 'parley';
    const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (!factory) throw new RangeError('IdbStore: no indexedDB in this environment');
    this.#factory = factory;
  }

  async get<T>(key: string): Promise<T | undefined> {
    const value = await this.#run<unknown>('readonly', (s) => s.get(key));
    return value as T | undefined;
  }

  async set(key: string, value: unknown): Promise<void> {
    await this.#run('readwrite', (s) => s.put(value, key));
  }

  /** One readwrite transaction for all of them: they are committed together, or none is. */
  async setMany(entries: readonly (readonly [string, unknown])[]): Promise<void> {
    if (entries.length === 0) return;
    await this.#run('readwrite', (s) => {
      let last!: IDBRequest<IDBValidKey>;
      for (const [key, value] of entries) last = s.put(value, key);
      // Requests of one transaction complete in order: the last one's success follows all the others'.
      return last;
    });
  }

  async delete(key: string): Promise<void> {
    await this.#run('readwrite', (s) => s.delete(key));
  }

  async deletePrefix(prefix: string): Promise<void> {
    // Every string key that starts with `prefix` sorts between it and it followed by the highest code unit.
    await this.#run('readwrite', (s) => s.delete(IDBKeyRange.bound(prefix, `${prefix}\uffff`)));
  }

  async list<T>(prefix: string): Promise<[string, T][]> {
    const range = IDBKeyRange.bound(prefix, `${prefix}\uffff`);
    let keys!: IDBRequest<IDBValidKey[]>;
    // Both reads in one transaction, which sees one state of the store: the keys and values pair up.
    const values = await this.#run('readonly', (s) => {
      keys = s.getAllKeys(range);
      return s.getAll(range);
    });
    // Keys here are only ever the strings set() wrote.
    return keys.result.map((key, i) => [key as string, values[i] as T]);
  }

  /** Logout: empties the store, closes the connection and deletes the database itself. */
  async clear(): Promise<void> {
    await this.#run('readwrite', (s) => s.clear());
    const db = await this.#open();
    db.close();
    this.#db = null;
    const request = this.#factory.deleteDatabase(this.#name);
    // A blocked delete (another tab holds the db open) still completes once that tab lets go;
    // the data is already gone by the clear() above, so do not wait for it.
    await new Promise<void>((resolve, reject) => {
      request.onsuccess = () => resolve();
      request.onblocked = () => resolve();
      request.onerror = () => reject(request.error ?? new Error('IndexedDB delete failed'));
    });
  }

  #open(): Promise<IDBDatabase> {
    this.#db ??= new Promise((resolve, reject) => {
      const request = this.#factory.open(this.#name, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => {
        const db = request.result;
        // Another tab deleting the database (its logout) must not be blocked by this one.
        db.onversionchange = () => {
          db.close();
          this.#db = null;
        };
        resolve(db);
      };
      request.onerror = () => reject(request.error ?? new Error('IndexedDB open failed'));
    });
    return this.#db;
  }

  async #run<T>(mode: IDBTransactionMode, op: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
    const db = await this.#open();
    const tx = db.transaction(STORE, mode);
    // A write counts only once its transaction commits, so listen for that before the request runs.
    const committed = new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    });
    let request: IDBRequest<T>;
    try {
      request = op(tx.objectStore(STORE));
    } catch (e) {
      // A value that cannot be stored (DataCloneError) throws at once: the requests made before it must not
      // commit on their own.
      tx.abort();
      committed.catch(() => undefined);
      throw e;
    }
    const [result] = await Promise.all([done(request), committed]);
    return result;
  }
}
