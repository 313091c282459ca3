// HTTP to the Parley API (docs/protocol.md §5): JSON in and out, bearer or cookie + CSRF header, and every
// failure turned into a ParleyError carrying the server's code.
import type { z } from 'zod';
import { parseWith } from '@parley/protocol';
import { ParleyError } from './errors.ts';

export interface ApiSession {
  token: string;
  csrfToken: string;
}

export interface Api {
  readonly server: string;
  setSession(session: ApiSession | null): void;
  readonly session: ApiSession | null;
  get<T>(path: string, schema: z.ZodType<T>): Promise<T>;
  post<T>(path: string, body: unknown, schema: z.ZodType<T>): Promise<T>;
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

export function createApi(o: ApiOptions): Api {
  const base = o.server.replace(/\/+$/, '');
  let session: ApiSession | null = null;

  function headers(method: string, hasBody: boolean): Record<string, string> {
    const h: Record<string, string> = { accept: 'application/json' };
    if (hasBody) h['content-type'] = 'application/json';
    if (session && o.auth === 'bearer') h.authorization = `Bearer ${session.token}`;
    if (session && o.auth === 'cookie' && method !== 'GET') h['x-csrf-token'] = session.csrfToken;
    return h;
  }

  async function call(method: string, path: string, body?: unknown): Promise<unknown> {
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
    const text = await res.text().catch(() => '');
    let json: unknown = null;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
    }
    if (!res.ok) throw errorFromBody(res.status, json);
    return json;
  }

  function check<T>(schema: z.ZodType<T>, value: unknown, path: string): T {
    const r = parseWith(schema, value);
    if (!r.ok) throw new ParleyError('BAD_RESPONSE', `unexpected answer from ${path}: ${r.error}`);
    return r.value;
  }

  return {
    server: base,
    get session() {
      return session;
    },
    setSession(s) {
      session = s;
    },
    async get(path, schema) {
      return check(schema, await call('GET', path), path);
    },
    async post(path, body, schema) {
      return check(schema, await call('POST', path, body), path);
    },
    async send(method, path, body) {
      await call(method, path, body);
    },
  };
}
