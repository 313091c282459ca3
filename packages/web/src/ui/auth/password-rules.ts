// Password rules live in the client because the server never sees the password [K2]: it gets only a derived
// key, so it cannot tell a strong password from "password1". ASVS 5.0 V6.2: length over composition rules.
import { COMMON_PASSWORDS } from './common-passwords.ts';

export const MIN_PASSWORD_LENGTH = 8;
export const RECOMMENDED_PASSWORD_LENGTH = 15;
/** Long passphrases are welcome; the bound only keeps PBKDF2's input sane. */
export const MAX_PASSWORD_LENGTH = 256;

const USERNAME = /^[a-z0-9][a-z0-9_.-]{2,31}$/;

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

/** Usernames: 3–32 of [a-z0-9_.-], starting with a letter or digit (protocol §0). */
export function usernameProblem(username: string): string | null {
  if (USERNAME.test(username)) return null;
  if (username.length < 3 || username.length > 32) return 'Usernames are 3 to 32 characters long.';
  return 'Use lower-case letters, digits, "_", "." and "-", starting with a letter or digit.';
}
