// One error class for the SDK (STYLE 5): the server's code when it answered, an SDK code otherwise, and a
// message a person can act on. `status` is the HTTP status, 0 when there was no answer.

/** Codes the SDK itself raises; the server's own codes pass through unchanged. */
export const SDK_ERROR_CODES = [
  'UNREACHABLE',
  'BAD_RESPONSE',
  'NOT_LOGGED_IN',
  'WRONG_PASSWORD',
  'UNKNOWN_ROOM',
  'AMBIGUOUS_ROOM',
  'NOT_MEMBER',
  'SERVER_KEY_CHANGED',
  'INVALID_INPUT',
  'NOT_CONNECTED',
  'KDF_TOO_WEAK',
  'OWN_KEYS_MISMATCH',
  'SAFETY_NUMBER_MISMATCH',
] as const;
export type SdkErrorCode = (typeof SDK_ERROR_CODES)[number];

export class ParleyError extends Error {
  override readonly name = 'ParleyError';
  constructor(
    readonly code: SdkErrorCode | (string & {}),
    message: string,
    readonly status = 0,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const isParleyError = (e: unknown, code?: string): e is ParleyError =>
  e instanceof ParleyError && (code === undefined || e.code === code);
