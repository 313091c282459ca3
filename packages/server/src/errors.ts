// One error class for the server, a closed code union and one table per transport (STYLE 5). Anything that is
// not an AppError becomes INTERNAL at the edge: logged with its cause, the client sees only code + message.

export const ERROR_CODES = [
  'BAD_REQUEST',
  'UNSUPPORTED_MEDIA_TYPE',
  'PAYLOAD_TOO_LARGE',
  'UNAUTHENTICATED',
  'BAD_CREDENTIALS',
  'CSRF',
  'FORBIDDEN',
  'NOT_MEMBER',
  'BAD_SIGNATURE',
  'MEMBERSHIP_RULE',
  'MEMBERSHIP_CHANGED',
  'VAULT_CONFLICT',
  'VAULT_FULL',
  'NOT_FOUND',
  'USERNAME_TAKEN',
  'CONFLICT',
  'RATE_LIMITED',
  'FLOOD',
  'FRAME_TOO_LARGE',
  'BAD_FRAME',
  'BACKPRESSURE',
  'SESSION_ENDED',
  'UNAVAILABLE',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  BAD_REQUEST: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  UNAUTHENTICATED: 401,
  BAD_CREDENTIALS: 401,
  CSRF: 403,
  FORBIDDEN: 403,
  NOT_MEMBER: 403,
  BAD_SIGNATURE: 403,
  MEMBERSHIP_RULE: 403,
  MEMBERSHIP_CHANGED: 409,
  VAULT_CONFLICT: 409,
  VAULT_FULL: 413,
  NOT_FOUND: 404,
  USERNAME_TAKEN: 409,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  FLOOD: 429,
  FRAME_TOO_LARGE: 413,
  BAD_FRAME: 400,
  BACKPRESSURE: 503,
  SESSION_ENDED: 401,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** Close code when the error ends a WebSocket; null: answered with an `error` frame, the socket stays. */
export const WS_CLOSE: Readonly<Record<ErrorCode, number | null>> = {
  BAD_REQUEST: null,
  UNSUPPORTED_MEDIA_TYPE: null,
  PAYLOAD_TOO_LARGE: null,
  UNAUTHENTICATED: 1008,
  BAD_CREDENTIALS: null,
  CSRF: 1008,
  FORBIDDEN: null,
  NOT_MEMBER: null,
  BAD_SIGNATURE: null,
  MEMBERSHIP_RULE: null,
  MEMBERSHIP_CHANGED: null,
  VAULT_CONFLICT: null,
  VAULT_FULL: null,
  NOT_FOUND: null,
  USERNAME_TAKEN: null,
  CONFLICT: null,
  RATE_LIMITED: null,
  FLOOD: 1008,
  FRAME_TOO_LARGE: 1009,
  BAD_FRAME: 1008,
  BACKPRESSURE: 1013,
  SESSION_ENDED: 1008,
  UNAVAILABLE: 1001,
  INTERNAL: 1011,
};

export class AppError extends Error {
  readonly code: ErrorCode;
  /** Seconds, for RATE_LIMITED answers (Retry-After). */
  readonly retryAfterSec: number | undefined;

  constructor(code: ErrorCode, message: string, opts: { cause?: unknown; retryAfterSec?: number } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.retryAfterSec = opts.retryAfterSec;
  }
}

/** What the client may see of any thrown value: AppErrors as they are, everything else as INTERNAL. */
export function toPublicError(err: unknown): { code: ErrorCode; message: string } {
  if (err instanceof AppError) return { code: err.code, message: err.message };
  return { code: 'INTERNAL', message: 'internal error' };
}
