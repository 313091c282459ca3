// Route guard: authenticates (bearer or cookie) and, for cookie-authenticated state changes, enforces CSRF
// (DESIGN §6, ASVS 3.5): the session's token in x-csrf-token, an allowed Origin, no cross-site fetch.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.ts';
import type { Services } from '../services.ts';
import { authenticate, originAllowed, type Auth } from '../security/request-auth.ts';
import { COOKIE_NAME } from '../security/sessions.ts';

declare module 'fastify' {
  interface FastifyRequest {
    auth: Auth | null;
  }
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

function csrfError(req: FastifyRequest, auth: Auth, allowed: readonly string[]): string | null {
  const header = req.headers['x-csrf-token'];
  const expected = Buffer.from(auth.session.csrfToken);
  if (
    typeof header !== 'string' ||
    header.length !== expected.length ||
    !timingSafeEqual(Buffer.from(header), expected)
  ) {
    return 'missing or wrong x-csrf-token header';
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !originAllowed(origin, allowed)) return `Origin ${origin} is not allowed`;
  if (req.headers['sec-fetch-site'] === 'cross-site') return 'cross-site request refused';
  return null;
}

export function requireAuth(s: Services) {
  return async (req: FastifyRequest): Promise<void> => {
    const auth = await authenticate(req.headers, s.sessions);
    if (auth === null) throw new AppError('UNAUTHENTICATED', 'log in first');
    if (auth === 'invalid') throw new AppError('UNAUTHENTICATED', 'session expired or unknown; log in again');
    if (auth.via === 'cookie' && !SAFE.has(req.method)) {
      const problem = csrfError(req, auth, s.config.allowedOrigins);
      if (problem) throw new AppError('CSRF', problem);
    }
    req.auth = auth;
  };
}

/** The authenticated caller; only called behind requireAuth. */
export function caller(req: FastifyRequest): Auth {
  if (!req.auth) throw new AppError('UNAUTHENTICATED', 'log in first');
  return req.auth;
}

export function setSessionCookie(reply: FastifyReply, token: string, maxAgeSec: number): void {
  void reply.setCookie(COOKIE_NAME, token, {
    httpOnly: true,
    secure: true,
    sameSite: 'strict',
    path: '/',
    maxAge: maxAgeSec,
  });
}

export function clearSessionCookie(reply: FastifyReply): void {
  void reply.clearCookie(COOKIE_NAME, { httpOnly: true, secure: true, sameSite: 'strict', path: '/' });
}
