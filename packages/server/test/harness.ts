/* eslint-disable @typescript-eslint/no-explicit-any -- tests assert on parsed JSON bodies */
// Test harness: a real app on port 0 with a temp DATA_DIR and real SQLite; users made with real crypto.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import {
  DEFAULT_KDF,
  deriveAccountSecrets,
  generateUserKeyPairs,
  randomBytes,
  randomId,
  sealAccountKeys,
  sealMessage,
  signMemberEvent,
  toB64u,
  type Envelope,
  type MemberEvent,
  type UserKeyPairs,
} from '@parley/protocol';
import { buildApp } from '../src/app.ts';
import { loadConfig, type Config } from '../src/config.ts';
import { createStore } from '../src/storage/create-store.ts';
import { createBus } from '../src/bus/bus.ts';
import { loadServerKey, loadServerSecret } from '../src/security/server-key.ts';
import type { Store } from '../src/storage/store.ts';

export interface Harness {
  app: FastifyInstance;
  /** The server's own store: a test that needs volume (a room of 1 000) writes its accounts here. */
  store: Store;
  url: string;
  wsUrl: string;
  dataDir: string;
  close(): Promise<void>;
}

export async function startHarness(overrides: Partial<Config> = {}): Promise<Harness> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'parley-test-'));
  const config = loadConfig({ port: 0, host: '127.0.0.1', logLevel: 'silent', ...overrides, dataDir });
  const store = await createStore(config.database);
  const bus = await createBus({ kind: 'local' });
  const app = await buildApp({
    config,
    store,
    bus,
    serverKey: await loadServerKey(dataDir),
    serverSecret: loadServerSecret(dataDir),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    app,
    store,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/api/connect`,
    dataDir,
    close: async () => {
      await app.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Res {
  status: number;
  body: any;
  headers: Record<string, string | string[] | number | undefined>;
}

export async function api(
  h: Harness,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  opts: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Res> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let payload: string | undefined;
  if (opts.raw !== undefined) payload = opts.raw;
  else if (opts.body !== undefined) payload = JSON.stringify(opts.body);
  if (payload !== undefined) headers['content-type'] ??= 'application/json';
  const res = await h.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
  let body: unknown = undefined;
  try {
    body = res.body ? JSON.parse(res.body) : undefined;
  } catch {
    body = res.body;
  }
  return { status: res.statusCode, body, headers: res.headers };
}

let pool: Promise<UserKeyPairs[]> | undefined;
/** RSA-3072 generation is slow: a few pairs per file, shared by every user. */
export function keyPool(): Promise<UserKeyPairs[]> {
  pool ??= Promise.all([generateUserKeyPairs(), generateUserKeyPairs(), generateUserKeyPairs()]);
  return pool;
}

export interface TestUser {
  name: string;
  token: string;
  csrfToken: string;
  cookie: string;
  pairs: UserKeyPairs;
  authKey: string;
  password: string;
}

let counter = 0;
export const uniqueName = (prefix = 'user') => `${prefix}${Date.now().toString(36)}${counter++}`;

export async function registerBody(name: string, password: string, pairs: UserKeyPairs) {
  const salt = randomBytes(16);
  const secrets = await deriveAccountSecrets(password, salt, DEFAULT_KDF);
  return {
    body: {
      username: name,
      salt: toB64u(salt),
      kdf: DEFAULT_KDF,
      authKey: toB64u(secrets.authKey),
      keys: await sealAccountKeys(name, pairs, secrets.wrapKey),
    },
    secrets,
  };
}

export async function register(h: Harness, name = uniqueName(), which = 0): Promise<TestUser> {
  const pairs = (await keyPool())[which % 3]!;
  const password = `pw-${name}-long-enough`;
  const { body } = await registerBody(name, password, pairs);
  const res = await api(h, 'POST', '/api/register', { body });
  if (res.status !== 201) throw new Error(`register failed: ${JSON.stringify(res.body)}`);
  const setCookie = String(res.headers['set-cookie']);
  return {
    name,
    token: res.body.token,
    csrfToken: res.body.csrfToken,
    cookie: setCookie.split(';')[0]!,
    pairs,
    authKey: body.authKey,
    password,
  };
}

export function member(
  u: TestUser,
  fields: Omit<MemberEvent, 'v' | 'actor' | 'eventId' | 'ts' | 'signature'> & { eventId?: string },
): Promise<MemberEvent> {
  return signMemberEvent(
    { v: 1, actor: u.name, eventId: fields.eventId ?? randomId(), ts: Date.now(), ...fields },
    u.pairs.signing.privateKey,
  );
}

export async function createRoom(h: Harness, u: TestUser, opts: { public?: boolean; invite?: TestUser[] } = {}) {
  const room = randomId();
  const create = await member(u, {
    type: 'create',
    room,
    target: u.name,
    name: `room-${room.slice(0, 4)}`,
    public: opts.public ?? false,
  });
  const invites = await Promise.all(
    (opts.invite ?? []).map((t) => member(u, { type: 'invite', room, target: t.name })),
  );
  const res = await api(h, 'POST', '/api/rooms', { token: u.token, body: { create, invites } });
  if (res.status !== 201) throw new Error(`create room failed: ${JSON.stringify(res.body)}`);
  return room;
}

/**
 * A sealed message. `memberSeq` [M11] defaults to the highest seq there is: the server refuses only a seq older
 * than the room's latest membership change, and these tests are about everything else (the refusal has its own).
 */
export function envelope(
  u: TestUser,
  room: string,
  counter = 1,
  clientMsgId = randomId(),
  memberSeq = Number.MAX_SAFE_INTEGER,
): Promise<Envelope> {
  return sealMessage({
    room,
    sender: u.name,
    signingKey: u.pairs.signing.privateKey,
    sessionId: randomId(),
    chainKey: randomBytes(32),
    index: 0,
    memberSeq,
    counter,
    clientMsgId,
    text: 'hello',
  });
}

/** A WebSocket client that queues frames so tests can await the next one matching a predicate. */
export class TestSocket {
  readonly frames: any[] = [];
  private waiters: { pred: (f: any) => boolean; resolve: (f: any) => void }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const f = JSON.parse((data as Buffer).toString('utf8'));
      const i = this.waiters.findIndex((w) => w.pred(f));
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(f);
      else this.frames.push(f);
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
    );
  }

  static open(url: string, headers: Record<string, string>): Promise<TestSocket> {
    const ws = new WebSocket(url, { headers });
    const s = new TestSocket(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(s));
      ws.once('error', reject);
    });
  }

  send(frame: unknown): void {
    this.ws.send(JSON.stringify(frame));
  }

  next(pred: (f: any) => boolean = () => true, timeoutMs = 5000): Promise<any> {
    const i = this.frames.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.frames.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for a frame')), timeoutMs);
      this.waiters.push({ pred, resolve: (f) => (clearTimeout(timer), resolve(f)) });
    });
  }

  close(): void {
    this.ws.close();
  }
}

export async function connect(h: Harness, u: TestUser, resume?: Record<string, number>): Promise<TestSocket> {
  const s = await TestSocket.open(h.wsUrl, { authorization: `Bearer ${u.token}` });
  s.send(resume ? { type: 'hello', v: 1, resume } : { type: 'hello', v: 1 });
  await s.next((f) => f.type === 'ready');
  return s;
}
