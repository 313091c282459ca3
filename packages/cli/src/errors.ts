// Every failure ends as ONE line on stderr naming its cause, and exit code 1.
import { isParleyError } from '@parley/sdk';

export class CliError extends Error {
  override readonly name = 'CliError';
}

/** The stable code of an error, for `--json`: the SDK's or the server's code, else one of the CLI's own. */
export function errorCode(e: unknown): string {
  if (e instanceof CliError) return 'INVALID_INPUT';
  if (isParleyError(e)) return e.code;
  return 'INTERNAL';
}

/** The one line a person (or a script) sees for an error. */
export function describe(e: unknown, server: string): string {
  if (e instanceof CliError) return e.message;
  if (isParleyError(e)) {
    if (e.code === 'UNREACHABLE') return `server unreachable at ${server}`;
    // [K7] [K8] What the server said about the user herself did not hold: the sign-in stops here.
    if (e.code === 'KDF_TOO_WEAK' || e.code === 'OWN_KEYS_MISMATCH') return `login refused: ${e.message}`;
    if (e.code === 'WRONG_PASSWORD') return 'wrong password (or unknown user)';
    if (e.code === 'NOT_MEMBER' && !/not a member/i.test(e.message)) return `not a member: ${e.message}`;
    if (e.code === 'RATE_LIMITED') return `rate limited by the server: ${e.message}`;
    return e.message;
  }
  if (e instanceof Error) return `unexpected error: ${e.message}`;
  return 'unexpected error';
}

export const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' ').trim();
