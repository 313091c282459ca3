/* eslint-disable @typescript-eslint/no-explicit-any -- these suites read, forge and
   return parsed JSON answers and frames; typing each one would hide what the attack changes. */
// The malicious server: the real server, its real signing key (read from its DATA_DIR, as a compromised host
// would), and a hook on every HTTP answer and WebSocket frame the SDK receives. `forge` rewrites a log the
// way a server that wants to get away with it would: hashes, chain and heads recomputed and countersigned,
// so only the end-to-end checks ([M4] counters, signatures, [R2] fold, fork comparison) can catch it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GENESIS_CHAIN,
  eventHash,
  fromB64u,
  headBytes,
  nextChain,
  toB64u,
  type Head,
  type RoomEvent,
} from '@parley/protocol';
import { startServer } from '@parley/server';
import {
  createClient,
  MemoryKeyStore,
  type ClientOptions,
  type ParleyClient,
  type WebSocketLike,
} from '../../packages/sdk/src/index.ts';
import { nodeWebSocket } from '../../packages/sdk/src/node.ts';
import { loadServerKey, type ServerKey } from '../../packages/server/src/security/server-key.ts';

export const PASSWORD = 'correct horse battery staple';
export const HEAD_GRACE_MS = 400;

type Json = any;
export interface Adversary {
  url: string;
  key: ServerKey;
  /** Rewrites a JSON answer before the SDK sees it (return undefined to keep it). */
  http: ((user: string, url: string, body: Json) => Json) | null;
  /** Rewrites a frame: return a list (empty drops it, two replays it). */
  frame: ((user: string, frame: Json) => Json[]) | null;
  /** Awaited before a request is forwarded: the server can be made to do something first (a race). */
  before: ((user: string, url: string) => Promise<void>) | null;
  /** Requests the SDK makes: method, url, parsed body. */
  sent: { user: string; method: string; url: string; body: Json }[];
  /** Frames the SDK sends on its sockets, parsed. */
  sentFrames: { user: string; frame: Json }[];
  /**
   * A client of `user` (the name the traffic is logged under). `store`: a store to share with another client,
   * as one browser or --home does; `cookies`: a browser-like cookie session, the jar kept by the network.
   */
  client(user: string, opts?: { store?: MemoryKeyStore; cookies?: boolean }): ParleyClient;
  stores: Map<string, MemoryKeyStore>;
  close(): Promise<void>;
}

export async function adversary(): Promise<Adversary> {
  const dataDir = await mkdtemp(join(tmpdir(), 'parley-evil-'));
  const server = await startServer({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' });
  const key = await loadServerKey(dataDir);
  const a: Adversary = {
    url: server.url,
    key,
    http: null,
    frame: null,
    before: null,
    sent: [],
    sentFrames: [],
    stores: new Map(),
    client: (user, opts = {}) => {
      const store = opts.store ?? new MemoryKeyStore();
      a.stores.set(user, store);
      return createClient({
        server: server.url,
        store,
        ...network(a, user, opts.cookies ?? false),
        auth: opts.cookies ? 'cookie' : 'bearer',
        reconnectMinMs: 50,
        reconnectMaxMs: 200,
        // A short wait for heads [M5] keeps the stripped-head attacks quick; the server signs every 100 ms.
        headGraceMs: HEAD_GRACE_MS,
      });
    },
    close: async () => {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return a;
}

function network(a: Adversary, user: string, cookies: boolean): Pick<ClientOptions, 'fetch' | 'webSocket'> {
  // A browser's cookie jar, in the few lines Node's fetch lacks: the session cookie, sent back on every request.
  let cookie: string | null = null;
  const f: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (typeof init?.body === 'string')
      a.sent.push({ user, method: init.method ?? 'GET', url, body: JSON.parse(init.body) });
    await a.before?.(user, url);
    const headers = new Headers(init?.headers);
    if (cookies && cookie) headers.set('cookie', cookie);
    const res = await fetch(input, { ...init, headers });
    const set = cookies ? res.headers.get('set-cookie') : null;
    if (set) cookie = set.split(';')[0]!;
    if (!a.http || res.status === 204) return res;
    const text = await res.text();
    const body = text ? JSON.parse(text) : null;
    const out = a.http(user, url, body) ?? body;
    return new Response(JSON.stringify(out), { status: res.status, headers: res.headers });
  };
  const ws = (url: string, headers: Record<string, string>): WebSocketLike => {
    const real = nodeWebSocket(url, headers);
    const proxy: WebSocketLike = {
      get readyState() {
        return real.readyState;
      },
      send: (d) => {
        a.sentFrames.push({ user, frame: JSON.parse(d) });
        real.send(d);
      },
      close: (c, r) => real.close(c, r),
      onopen: null,
      onmessage: null,
      onclose: null,
      onerror: null,
    };
    real.onopen = (e) => proxy.onopen?.(e);
    real.onclose = (e) => proxy.onclose?.(e);
    real.onerror = (e) => proxy.onerror?.(e);
    real.onmessage = (e) => {
      if (!a.frame) return proxy.onmessage?.(e);
      for (const out of a.frame(user, JSON.parse(String(e.data))))
        proxy.onmessage?.({ data: JSON.stringify(out) });
    };
    return proxy;
  };
  return { fetch: f, webSocket: ws };
}

/** A client for each name, registered under that name with PASSWORD, in the order given. */
export async function registered<const N extends readonly string[]>(
  a: Adversary,
  names: N,
): Promise<{ [K in keyof N]: ParleyClient }> {
  const clients = names.map((name) => a.client(name));
  await Promise.all(clients.map((c, i) => c.register(names[i]!, PASSWORD)));
  return clients as { [K in keyof N]: ParleyClient };
}

/** The room's whole log (up to 500 events) as the server holds it, read with `user`'s stored session. */
export async function fetchLog(a: Adversary, room: string, user = 'alice'): Promise<Json> {
  const token = (await a.stores.get(user)!.get<{ token: string }>(`${user}/session`))!.token;
  const res = await fetch(`${a.url}/api/rooms/${room}/events?after=0&limit=500`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return await res.json();
}

/** Renumbers events from `from`, recomputes hashes and chain, and countersigns a head for the last one. */
export async function rechain(
  key: ServerKey,
  events: RoomEvent[],
  prevChain?: string,
): Promise<{ events: RoomEvent[]; head: Head }> {
  let chain: Uint8Array = prevChain ? fromB64u(prevChain) : GENESIS_CHAIN;
  const out: RoomEvent[] = [];
  const first = events[0]!.seq;
  for (const [i, e] of events.entries()) {
    const moved = { ...e, seq: first + i };
    const hash = await eventHash(moved);
    chain = await nextChain(chain, hash);
    out.push({ ...moved, hash: toB64u(hash), chain: toB64u(chain) });
  }
  const last = out[out.length - 1]!;
  const unsigned = { room: last.room, seq: last.seq, ts: last.ts, chain: last.chain };
  const head = { ...unsigned, signature: toB64u(await key.sign(headBytes(unsigned))) };
  return { events: out, head };
}

export function until<T>(p: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      const v = p();
      if (v !== undefined) return resolve(v);
      if (Date.now() > end) return reject(new Error('condition not met in time'));
      setTimeout(tick, 20);
    };
    tick();
  });
}
