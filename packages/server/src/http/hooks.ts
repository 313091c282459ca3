// Cross-cutting HTTP behaviour: a strict JSON parser, security headers on every answer, CORS for the
// allow-listed origins (the web client on :5000 talks to the API on :8000).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import { originAllowed } from '../security/request-auth.ts';

const CSP = "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

export function installJsonParser(app: FastifyInstance): void {
  // JSON only: text/plain is what a cross-site form or "simple" fetch can send, so it is refused (415).
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    // An empty body is "no body" (POST /api/logout with a content-type); anything else must be JSON.
    if (body === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new AppError('BAD_REQUEST', 'body is not valid JSON'), undefined);
    }
  });
}

/** The headers every answer carries, including the ones Fastify's router writes before any hook runs. */
export function setSecurityHeaders(req: FastifyRequest, reply: FastifyReply): void {
  void reply.header('content-security-policy', CSP);
  void reply.header('x-content-type-options', 'nosniff');
  void reply.header('referrer-policy', 'no-referrer');
  void reply.header('x-frame-options', 'DENY');
  void reply.header('cache-control', 'no-store');
  if (req.protocol === 'https')
    void reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
}

export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (req, reply) => setSecurityHeaders(req, reply));
}

export function installCors(app: FastifyInstance, allowed: readonly string[]): void {
  app.addHook('onRequest', async (req, reply) => {
    const origin = req.headers.origin;
    if (origin === undefined || !originAllowed(origin, allowed)) return;
    void reply.header('access-control-allow-origin', origin);
    void reply.header('access-control-allow-credentials', 'true');
    void reply.header('vary', 'Origin');
    if (req.method === 'OPTIONS') {
      void reply.header('access-control-allow-methods', 'GET, POST, DELETE');
      void reply.header('access-control-allow-headers', 'content-type, x-csrf-token, authorization');
      void reply.header('access-control-max-age', '600');
      return reply.code(204).send();
    }
  });
}
