// Operations: health, readiness, Prometheus metrics, TLS, and start-time validation of the scale-out
// settings (a bad value stops the start with a message naming the variable).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { startServer } from '../src/index.ts';
import { api, connect, createRoom, envelope, register, startHarness, type Harness } from './harness.ts';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe('health, readiness and metrics', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('/healthz and /readyz answer 200 with every check ok', async () => {
    expect((await api(h, 'GET', '/healthz')).status).toBe(200);
    const ready = await api(h, 'GET', '/readyz');
    expect(ready).toMatchObject({ status: 200, body: { ok: true, checks: { store: 'ok', bus: 'ok' } } });
  });

  it('/metrics counts connections, messages, deliveries and times commits and fan-out', async () => {
    const alice = await register(h);
    const room = await createRoom(h, alice);
    const socket = await connect(h, alice);
    socket.send({ type: 'send', envelope: await envelope(alice, room) });
    await socket.next((f) => f.type === 'ack');
    await socket.next((f) => f.type === 'event' && f.event.kind === 'message');
    const res = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.body).toMatch(/^parley_connections 1$/m);
    expect(res.body).toMatch(/^parley_messages_total 1$/m);
    expect(res.body).toMatch(/^parley_deliveries_total [1-9]/m);
    expect(res.body).toMatch(/^parley_commit_seconds_count [1-9]/m);
    expect(res.body).toMatch(/^parley_fanout_seconds_count [1-9]/m);
    expect(res.body).not.toContain(alice.name);
    socket.close();
  });
});

describe('TLS', () => {
  it('TLS_CERT + TLS_KEY serve HTTPS', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parley-tls-'));
    const [cert, key] = [path.join(dir, 'cert.pem'), path.join(dir, 'key.pem')];
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    process.env.TLS_CERT = cert;
    process.env.TLS_KEY = key;
    const server = await startServer({
      port: 0,
      host: '127.0.0.1',
      dataDir: path.join(dir, 'data'),
      logLevel: 'silent',
    });
    try {
      expect(server.url).toMatch(/^https:/);
      const status = await new Promise<number>((resolve, reject) =>
        https
          .get(`${server.url}/healthz`, { rejectUnauthorized: false }, (r) => resolve(r.statusCode ?? 0))
          .on('error', reject),
      );
      expect(status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('scale-out settings are validated at start', () => {
  it('defaults: SQLite, the local bus, identity in files, no TLS, no proxy trusted', () => {
    for (const k of ['DATABASE_URL', 'REDIS_URL', 'SERVER_KEY_STORE', 'TLS_CERT', 'TLS_KEY', 'TRUST_PROXY'])
      delete process.env[k];
    const c = loadConfig();
    expect([c.database.kind, c.bus, c.identity, c.tls, c.trustProxy]).toEqual([
      'sqlite',
      { kind: 'local' },
      'file',
      null,
      false,
    ]);
  });

  it('[S1] PostgreSQL keeps the identity in the database unless told otherwise', () => {
    process.env.DATABASE_URL = 'postgres://db/parley';
    process.env.DATABASE_SCHEMA = 'team_a';
    process.env.REDIS_URL = 'redis://cache:6379';
    process.env.TRUST_PROXY = '10.0.0.0/8,127.0.0.1';
    const c = loadConfig();
    expect(c.database).toEqual({ kind: 'postgres', url: 'postgres://db/parley', schema: 'team_a' });
    expect(c.bus).toEqual({ kind: 'redis', url: 'redis://cache:6379', prefix: 'parley:', heartbeatMs: 5000 });
    expect(c.identity).toBe('database');
    expect(c.trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1']);
  });

  it('a bad value names its variable', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parley-cfg-'));
    writeFileSync(path.join(dir, 'cert.pem'), 'x');
    const bad: Record<string, Record<string, string>> = {
      DATABASE_SCHEMA: { DATABASE_URL: 'postgres://db/p', DATABASE_SCHEMA: 'x; drop table users' },
      REDIS_URL: { REDIS_URL: 'http://cache' },
      REDIS_PREFIX: { REDIS_URL: 'redis://c', REDIS_PREFIX: 'has space' },
      PRESENCE_HEARTBEAT_MS: { REDIS_URL: 'redis://c', PRESENCE_HEARTBEAT_MS: '10' },
      SERVER_KEY_STORE: { SERVER_KEY_STORE: 'vault' },
      TLS_KEY: { TLS_CERT: path.join(dir, 'cert.pem') },
      TLS_CERT: { TLS_CERT: path.join(dir, 'missing.pem'), TLS_KEY: path.join(dir, 'cert.pem') },
      TRUST_PROXY: { TRUST_PROXY: 'everyone' },
    };
    for (const [name, vars] of Object.entries(bad)) {
      process.env = { ...saved, ...vars };
      expect(() => loadConfig(), name).toThrow(name);
    }
  });
});
