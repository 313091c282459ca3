// Real servers on port 0 with a temp DATA_DIR, and clients on real sockets.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '@parley/server';
import {
  createClient,
  MemoryKeyStore,
  type ClientEvents,
  type ClientOptions,
  type ParleyClient,
  type WebSocketLike,
} from '../src/index.ts';
import { nodeWebSocket } from '../src/node.ts';

export const PASSWORD = 'correct horse battery staple';

export async function testServer() {
  const dataDir = await mkdtemp(join(tmpdir(), 'parley-sdk-'));
  const server = await startServer({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' });
  return {
    url: server.url,
    async close() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function client(url: string, extra: Partial<ClientOptions> = {}): ParleyClient {
  return createClient({
    server: url,
    store: new MemoryKeyStore(),
    webSocket: nodeWebSocket,
    reconnectMinMs: 50,
    reconnectMaxMs: 200,
    ...extra,
  });
}

export async function registered(url: string, name: string, extra: Partial<ClientOptions> = {}) {
  const c = client(url, extra);
  await c.register(name, PASSWORD);
  return c;
}

/** Resolves with the first event value that matches, or fails after `ms`. */
export function next<K extends keyof ClientEvents>(
  c: ParleyClient,
  event: K,
  match: (v: ClientEvents[K]) => boolean = () => true,
  ms = 10_000,
): Promise<ClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${event}`));
    }, ms);
    const off = c.on(event, (v) => {
      if (!match(v)) return;
      clearTimeout(timer);
      off();
      resolve(v);
    });
  });
}

/** Collects every value of an event into an array (for asserting that something did NOT happen). */
export function collect<K extends keyof ClientEvents>(c: ParleyClient, event: K): ClientEvents[K][] {
  const out: ClientEvents[K][] = [];
  c.on(event, (v) => out.push(v));
  return out;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fetch that plays a malicious or broken server: rewrites answers, watches requests. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a test double rewrites arbitrary JSON answers
type Json = any;

export function tamperingFetch() {
  const hooks: {
    rewrite?: (url: string, body: Json) => unknown;
    /** Runs after the real answer arrived, before the client sees it. */
    after?: (url: string, body: Json) => Promise<unknown>;
    watch?: (url: string, init: RequestInit | undefined) => void;
    headers?: (url: string, init: RequestInit | undefined) => Record<string, string> | undefined;
  } = {};
  const f: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    hooks.watch?.(url, init);
    const headers = hooks.headers?.(url, init);
    const res = await fetch(input, headers ? { ...init, headers } : init);
    if ((!hooks.rewrite && !hooks.after) || res.status === 204) return res;
    const text = await res.text();
    const body = text ? JSON.parse(text) : null;
    const rewritten = hooks.rewrite ? (hooks.rewrite(url, body) ?? body) : body;
    const out = hooks.after ? ((await hooks.after(url, rewritten)) ?? rewritten) : rewritten;
    return new Response(JSON.stringify(out), { status: res.status, headers: res.headers });
  };
  return { fetch: f, hooks };
}

/** Wraps a socket so a test can drop frames before the SDK sees them. */
export function tapSocket(ws: WebSocketLike, keep: (data: unknown) => boolean): WebSocketLike {
  const proxy: WebSocketLike = {
    get readyState() {
      return ws.readyState;
    },
    send: (d) => ws.send(d),
    close: (code, reason) => ws.close(code, reason),
    onopen: null,
    onmessage: null,
    onclose: null,
    onerror: null,
  };
  ws.onopen = (e) => proxy.onopen?.(e);
  ws.onmessage = (e) => {
    if (keep(e.data)) proxy.onmessage?.(e);
  };
  ws.onclose = (e) => proxy.onclose?.(e);
  ws.onerror = (e) => proxy.onerror?.(e);
  return proxy;
}
