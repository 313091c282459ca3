// The HTTP edge of the error table: every failure leaves as `{ error: { code, message } }` with the status
// of its code. Unknown errors are logged with their cause and answered INTERNAL.
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import type { z } from 'zod';
import { parseWith } from '@parley/protocol';
import { AppError, HTTP_STATUS, type ErrorCode } from '../errors.ts';

export function sendError(reply: FastifyReply, code: ErrorCode, message: string, retryAfterSec?: number) {
  if (retryAfterSec !== undefined) void reply.header('retry-after', String(retryAfterSec));
  return reply.code(HTTP_STATUS[code]).send({ error: { code, message } });
}

/** Untrusted input in, typed value out, or a 400 naming the first problem. */
export function parse<T>(schema: z.ZodType<T>, input: unknown, what = 'body'): T {
  const r = parseWith(schema, input);
  if (!r.ok) throw new AppError('BAD_REQUEST', `${what}: ${r.error}`);
  return r.value;
}

function fastifyCode(err: FastifyError): { code: ErrorCode; message: string } | null {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return { code: 'PAYLOAD_TOO_LARGE', message: 'request body is too large' };
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'send JSON with content-type: application/json' };
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return { code: 'BAD_REQUEST', message: err.message };
  }
  return null;
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof AppError) return sendError(reply, err.code, err.message, err.retryAfterSec);
    const known = fastifyCode(err);
    if (known) return sendError(reply, known.code, known.message);
    req.log.error({ err }, 'unhandled error');
    return sendError(reply, 'INTERNAL', 'internal error');
  });
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, 'NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`),
  );
}
