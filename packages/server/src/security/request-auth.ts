// Who is calling: a bearer token (CLI, bots) or the session cookie (browsers). Shared by HTTP routes and the
// WebSocket upgrade, which both see raw Node headers.
import type { IncomingHttpHeaders } from 'node:http';
import type { SessionRecord } from '../storage/store.ts';
import { COOKIE_NAME, type Sessions } from './sessions.ts';

export interface Auth {
  session: SessionRecord;
  via: 'cookie' | 'bearer';
}

function cookieToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === COOKIE_NAME) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** null: no credentials presented; 'invalid': presented but unknown or expired. */
export async function authenticate(
  headers: IncomingHttpHeaders,
  sessions: Sessions,
): Promise<Auth | null | 'invalid'> {
  const authz = headers.authorization;
  if (authz !== undefined) {
    const m = /^Bearer ([A-Za-z0-9_-]{1,100})$/.exec(authz);
    const session = m ? await sessions.resolve(m[1]!) : null;
    return session ? { session, via: 'bearer' } : 'invalid';
  }
  const token = cookieToken(headers.cookie);
  if (token === undefined) return null;
  const session = await sessions.resolve(token);
  return session ? { session, via: 'cookie' } : 'invalid';
}

export const originAllowed = (origin: string, allowed: readonly string[]): boolean => allowed.includes(origin);
