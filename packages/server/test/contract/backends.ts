// Which backends the contract suites run against: SQLite and the local bus always; PostgreSQL and Redis
// when TEST_DATABASE_URL / TEST_REDIS_URL are set (CI sets both). Every run gets its own PostgreSQL schema
// and Redis key prefix, dropped afterwards, so concurrent runs on one machine never collide.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import type { BusConfig, DatabaseConfig } from '../../src/config.ts';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL || undefined;

export const runId = (tag: string) => `t_${tag}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;

export interface Backend<C> {
  name: string;
  /** A fresh, empty deployment; `dispose` removes every trace of it. */
  deployment(): { config: C; dispose(): Promise<void> };
}

export const sqlite: Backend<DatabaseConfig> = {
  name: 'sqlite',
  deployment() {
    const dir = mkdtempSync(path.join(tmpdir(), 'parley-contract-'));
    return {
      config: { kind: 'sqlite', path: path.join(dir, 'parley.db') },
      // Retried: the checkpoint worker's connection may still be letting go of the WAL files (ENOTEMPTY).
      dispose: () => Promise.resolve(rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 })),
    };
  },
};

export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

export const postgres = (url: string): Backend<DatabaseConfig> => ({
  name: 'postgres',
  deployment() {
    const schema = runId('store');
    return { config: { kind: 'postgres', url, schema }, dispose: () => dropSchema(url, schema) };
  },
});

export async function clearPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}

export const local: Backend<BusConfig> = {
  name: 'local',
  deployment: () => ({ config: { kind: 'local' }, dispose: () => Promise.resolve() }),
};

export const redis = (url: string): Backend<BusConfig> => ({
  name: 'redis',
  deployment() {
    const prefix = `${runId('bus')}:`;
    return { config: { kind: 'redis', url, prefix, heartbeatMs: 200 }, dispose: () => clearPrefix(url, prefix) };
  },
});

export const storeBackends = [sqlite, ...(TEST_DATABASE_URL ? [postgres(TEST_DATABASE_URL)] : [])];
export const busBackends = [local, ...(TEST_REDIS_URL ? [redis(TEST_REDIS_URL)] : [])];
