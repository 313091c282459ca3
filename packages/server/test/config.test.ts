import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer } from '../src/index.ts';
import { loadConfig } from '../src/config.ts';
import { createStore } from '../src/storage/create-store.ts';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe('config', () => {
  it('defaults: port 8000, sqlite in DATA_DIR, the four local origins; frozen', () => {
    for (const k of ['PORT', 'DATA_DIR', 'DATABASE_URL', 'ALLOWED_ORIGINS']) delete process.env[k];
    const c = loadConfig();
    expect(c.port).toBe(8000);
    expect(c.database).toEqual({
      kind: 'sqlite',
      path: expect.stringMatching(/data[/\\]parley\.db$/),
      synchronous: 'full',
    });
    expect(c.headSigning).toEqual({ enabled: true, intervalMs: 1000, maxEvents: 1000 });
    expect(c.allowedOrigins).toContain('http://localhost:5000');
    expect(Object.isFrozen(c) && Object.isFrozen(c.rateLimits)).toBe(true);
    expect(loadConfig({ dataDir: '/tmp/x' }).database).toEqual({
      kind: 'sqlite',
      path: '/tmp/x/parley.db',
      synchronous: 'full',
    });
  });

  it('[D1] [M5] no variable turns off durable acks or countersigned heads (the benchmark does it in code)', () => {
    process.env = { ...saved, SQLITE_SYNCHRONOUS: 'off', HEAD_SIGNING: 'off' };
    const c = loadConfig({ dataDir: '/tmp/x' });
    expect(c.database).toMatchObject({ kind: 'sqlite', synchronous: 'full' });
    expect(c.headSigning.enabled).toBe(true);
  });

  it('a bad variable fails at start with a message naming it', () => {
    const bad: Record<string, string> = {
      PORT: 'eighty',
      MAX_FRAME_BYTES: '10',
      ALLOWED_ORIGINS: 'http://ok.example,not a url',
      LOG_LEVEL: 'loud',
      DATABASE_URL: 'mysql://x',
      HEAD_SIGN_INTERVAL_MS: '0',
    };
    for (const [name, value] of Object.entries(bad)) {
      process.env = { ...saved, [name]: value };
      expect(() => loadConfig(), name).toThrow(name);
    }
  });

  it('[D6] a PostgreSQL that does not answer fails at start with a message naming DATABASE_URL', async () => {
    process.env.DATABASE_URL = 'postgres://postgres@127.0.0.1:1/parley';
    const c = loadConfig();
    expect(c.database).toEqual({ kind: 'postgres', url: process.env.DATABASE_URL, schema: 'public' });
    await expect(createStore(c.database)).rejects.toThrow(/DATABASE_URL/);
  });
});

describe('the data directory', () => {
  it('[S1] [K2] keeps the database (auth hashes, wrapped keys) and the server key readable by the server user only', async () => {
    const root = await mkdtemp(join(tmpdir(), 'parley-perm-'));
    const dataDir = join(root, 'data');
    const server = await startServer({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' });
    try {
      const mode = async (p: string) => (await stat(join(dataDir, p))).mode & 0o777;
      expect(await mode('.')).toBe(0o700);
      expect(await mode('parley.db')).toBe(0o600);
      expect(await mode('server-key.json')).toBe(0o600);
    } finally {
      await server.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
