// The password policy is the SDK's, the one every Parley client uses (web, CLI, bots); usernames are checked here
// for words on the form before the SDK's own check.
export { passwordHint, passwordProblem } from '@parley/sdk';

const USERNAME = /^[a-z0-9][a-z0-9_.-]{2,31}$/;

/** Usernames: 3–32 of [a-z0-9_.-], starting with a letter or digit (protocol §0). */
export function usernameProblem(username: string): string | null {
  if (USERNAME.test(username)) return null;
  if (username.length < 3 || username.length > 32) return 'Usernames are 3 to 32 characters long.';
  return 'Use lower-case letters, digits, "_", "." and "-", starting with a letter or digit.';
}
