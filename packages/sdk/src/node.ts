// Node-only helpers: a file-backed KeyStore (CLI, bots) and a WebSocket factory on `ws` with headers.
import { mkdir, readFile, rename, rm, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { KeyStore, WebSocketFactory, WebSocketLike } from './types.ts';

/**
 * One JSON file per key, mode 0600 in a 0700 directory. JSON only, so private keys are kept as pkcs8: the
 * file permissions are what protects them, as for ssh keys.
 */
export class FileKeyStore implements KeyStore {
  readonly persistsCryptoKeys = false;

  constructor(private readonly dir: string) {}

  // Encoded character by character, so the name of a key starts with the encoding of each of its prefixes.
  private static encode(key: string): string {
    return encodeURIComponent(key).replace(/\*/g, '%2A');
  }

  private file(key: string): string {
    return join(this.dir, `${FileKeyStore.encode(key)}.json`);
  }

  async get<T>(key: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(this.file(key), 'utf8')) as T;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async set(key: string, value: unknown): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = this.file(key);
    // Write then rename: a crash mid-write never leaves half a ratchet state behind.
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(value), { mode: 0o600 });
    await rename(tmp, file);
  }

  /** Each file is replaced whole (write then rename); the files are not one transaction. */
  async setMany(entries: readonly (readonly [string, unknown])[]): Promise<void> {
    // The last entry per key only: two concurrent renames onto one file would race.
    const last = new Map(entries);
    await Promise.all([...last].map(([key, value]) => this.set(key, value)));
  }

  async delete(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }

  async deletePrefix(prefix: string): Promise<void> {
    const start = FileKeyStore.encode(prefix);
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const doomed = names.filter((n) => n.endsWith('.json') && n.startsWith(start));
    await Promise.all(doomed.map((n) => rm(join(this.dir, n), { force: true })));
  }

  async list<T>(prefix: string): Promise<[string, T][]> {
    const start = FileKeyStore.encode(prefix);
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const keys = names
      .filter((n) => n.endsWith('.json') && n.startsWith(start))
      .map((n) => decodeURIComponent(n.slice(0, -'.json'.length)));
    const values = await Promise.all(keys.map((key) => this.get<T>(key)));
    return keys.flatMap((key, i) => (values[i] === undefined ? [] : [[key, values[i]] as [string, T]]));
  }

  async clear(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    await Promise.all(names.filter((n) => n.endsWith('.json')).map((n) => rm(join(this.dir, n), { force: true })));
  }
}

/** `ws` with headers (bearer auth) and without permessage-deflate, shaped like the browser's WebSocket. */
export const nodeWebSocket: WebSocketFactory = (url, headers) =>
  new WebSocket(url, { headers, perMessageDeflate: false }) as unknown as WebSocketLike;
