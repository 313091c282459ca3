// HTTP to the Parley API (docs/protocol.md §5): JSON in and out, bearer or cookie + CSRF header, and every
// failure turned into a ParleyError carrying the server's code.
import type { z } from 'zod';
import { parseWith } from '@parley/protocol';
import { ParleyError } from './errors.ts';

export interface ApiSession {
  /** Bearer clients only: a browser's session token stays in its HttpOnly cookie. */
  token?: string;
  csrfToken: string;
}

export interface Api {
  readonly server: string;
  readonly auth: 'cookie' | 'bearer';
  setSession(session: ApiSession | null): void;
  readonly session: ApiSession | null;
  get<T>(path: string, schema: z.ZodType<T>): Promise<T>;
  /** The body of a successful GET as it came, for a caller that parses and validates it elsewhere (a worker). */
  getText(path: string): Promise<string>;
  post<T>(path: string, body: unknown, schema: z.ZodType<T>): Promise<T>;
  put<T>(path: string, body: unknown, schema: z.ZodType<T>): Promise<T>;
  /** A state-changing call whose answer has no body we need (204). */
  send(method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<void>;
}

export interface ApiOptions {
  server: string;
  auth: 'cookie' | 'bearer';
  fetch: typeof globalThis.fetch;
}

function errorFromBody(status: number, body: unknown): ParleyError {
  const err = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  const code = typeof err?.code === 'string' ? err.code : `HTTP_${status}`;
  const message = typeof err?.message === 'string' ? err.message : `the server answered ${status}`;
  return new ParleyError(code, message, status);
}

/** An answer that is not what the protocol says (not JSON, or not of its schema). */
export function badResponse(path: string, error: string): ParleyError {
  return new ParleyError('BAD_RESPONSE', `unexpected answer from ${path}: ${error}`);
}

function parseJson(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export function createApi(o: ApiOptions): Api {
  const base = o.server.replace(/\/+$/, '');
  let session: ApiSession | null = null;

  function headers(method: string, hasBody: boolean): Record<string, string> {
    const h: Record<string, string> = { accept: 'application/json' };
    if (hasBody) h['content-type'] = 'application/json';
    if (session?.token && o.auth === 'bearer') h.authorization = `Bearer ${session.token}`;
    if (session && o.auth === 'cookie' && method !== 'GET') h['x-csrf-token'] = session.csrfToken;
    return h;
  }

  /** The answer's status and body text; a network failure is UNREACHABLE. */
  async function request(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ ok: boolean; status: number; text: string }> {
    let res: Response;
    try {
      res = await o.fetch(`${base}${path}`, {
        method,
        headers: headers(method, body !== undefined),
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: o.auth === 'cookie' ? 'include' : 'omit',
      });
    } catch (cause) {
      throw new ParleyError('UNREACHABLE', `server unreachable at ${base}`, 0, { cause });
    }
    return { ok: res.ok, status: res.status, text: await res.text().catch(() => '') };
  }

  async function call(method: string, path: string, body?: unknown): Promise<unknown> {
    const { ok, status, text } = await request(method, path, body);
    const json = parseJson(text);
    if (!ok) throw errorFromBody(status, json);
    return json;
  }

  function check<T>(schema: z.ZodType<T>, value: unknown, path: string): T {
    const r = parseWith(schema, value);
    if (!r.ok) throw badResponse(path, r.error);
    return r.value;
  }

  return {
    server: base,
    auth: o.auth,
    get session() {
      return session;
    },
    setSession(s) {
      session = s;
    },
    async get(path, schema) {
      return check(schema, await call('GET', path), path);
    },
    async getText(path) {
      const { ok, status, text } = await request('GET', path);
      if (!ok) throw errorFromBody(status, parseJson(text));
      return text;
    },
    async post(path, body, schema) {
      return check(schema, await call('POST', path, body), path);
    },
    async put(path, body, schema) {
      return check(schema, await call('PUT', path, body), path);
    },
    async send(method, path, body) {
      await call(method, path, body);
    },
  };
}
