// The one password policy of every Parley client (web, CLI, bots): the server never sees the password [K2], only a
// key derived from it, so it cannot tell a strong password from "password1" and the rules must live here.
// ASVS 5.0 V6.2: length over composition rules, and a list of the passwords an attacker tries first.
import { COMMON_PASSWORDS } from './common-passwords.ts';

export const MIN_PASSWORD_LENGTH = 8;
export const RECOMMENDED_PASSWORD_LENGTH = 15;
/** Long passphrases are welcome; the bound only keeps PBKDF2's input sane. */
export const MAX_PASSWORD_LENGTH = 256;

/** Why a new password is refused, in words; null when it is acceptable. */
export function passwordProblem(password: string, username: string): string | null {
  const length = [...password.normalize('NFKC')].length;
  if (length < MIN_PASSWORD_LENGTH) return `Use at least ${MIN_PASSWORD_LENGTH} characters.`;
  if (length > MAX_PASSWORD_LENGTH) return `Use at most ${MAX_PASSWORD_LENGTH} characters.`;
  const lower = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lower)) return 'That password is one of the most common ones. Choose another.';
  if (username !== '' && lower.includes(username.toLowerCase()))
    return "Don't use your username in your password.";
  if (/^(.)\1+$/u.test(password)) return "Don't repeat one character.";
  return null;
}

/** A gentle nudge past the minimum: shown, never enforced. */
export function passwordHint(password: string): string | null {
  const length = [...password].length;
  if (length >= MIN_PASSWORD_LENGTH && length < RECOMMENDED_PASSWORD_LENGTH) {
    return `Accepted. ${RECOMMENDED_PASSWORD_LENGTH}+ characters is stronger — a few random words work well.`;
  }
  return null;
}
