// The in-memory KeyStore: tests, and browsers that must not persist anything.
import type { KeyStore } from './types.ts';

export class MemoryKeyStore implements KeyStore {
  readonly persistsCryptoKeys = true;
  private readonly map = new Map<string, unknown>();

  get<T>(key: string): Promise<T | undefined> {
    return Promise.resolve(this.map.get(key) as T | undefined);
  }
  set(key: string, value: unknown): Promise<void> {
    this.map.set(key, value);
    return Promise.resolve();
  }
  setMany(entries: readonly (readonly [string, unknown])[]): Promise<void> {
    for (const [key, value] of entries) this.map.set(key, value);
    return Promise.resolve();
  }
  delete(key: string): Promise<void> {
    this.map.delete(key);
    return Promise.resolve();
  }
  deletePrefix(prefix: string): Promise<void> {
    for (const key of [...this.map.keys()]) if (key.startsWith(prefix)) this.map.delete(key);
    return Promise.resolve();
  }
  list<T>(prefix: string): Promise<[string, T][]> {
    return Promise.resolve(
      [...this.map].filter(([key]) => key.startsWith(prefix)).map(([key, value]) => [key, value as T]),
    );
  }
  clear(): Promise<void> {
    this.map.clear();
    return Promise.resolve();
  }
}
