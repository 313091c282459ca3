// Every failure shown to a person says what happened in words: server codes are mapped here, anything unknown
// falls back to the message the server (or the SDK) gave, and never to a bare "error".
const WORDS: Record<string, string> = {
  // Server codes (packages/server/src/errors.ts).
  BAD_REQUEST: 'The server could not understand the request.',
  UNSUPPORTED_MEDIA_TYPE: 'The server could not understand the request.',
  PAYLOAD_TOO_LARGE: 'That is too large to send.',
  UNAUTHENTICATED: 'Your session has ended. Log in again.',
  BAD_CREDENTIALS: 'Wrong username or password.',
  CSRF: 'The request was refused as a possible cross-site forgery. Reload the page and try again.',
  FORBIDDEN: "You aren't allowed to do that.",
  NOT_MEMBER: "You aren't a member of that room.",
  BAD_SIGNATURE: 'The server refused a signature made on this device. Reload the page and try again.',
  MEMBERSHIP_RULE:
    'The room does not allow that (only an admin invites, and only people who are not members yet).',
  NOT_FOUND: "That doesn't exist, or you can't see it.",
  USERNAME_TAKEN: 'That username is taken. Pick another one.',
  CONFLICT: 'That already exists.',
  RATE_LIMITED: 'Too many attempts. Wait a moment and try again.',
  FLOOD: 'You are sending too fast. Wait a moment.',
  FRAME_TOO_LARGE: 'That message is too large to send.',
  BAD_FRAME: 'The server refused a malformed request.',
  BACKPRESSURE: 'The connection fell behind and is being reset.',
  SESSION_ENDED: 'This session was ended (logged out elsewhere). Log in again.',
  UNAVAILABLE: 'The server is unavailable right now. Try again shortly.',
  INTERNAL: 'The server hit an unexpected problem. Try again.',
  // SDK codes (packages/sdk/src/errors.ts).
  UNREACHABLE: "Can't reach the server. Check your connection.",
  BAD_RESPONSE: 'The server sent an answer this app does not understand.',
  NOT_LOGGED_IN: 'You are not logged in.',
  WRONG_PASSWORD: 'Wrong username or password.',
  UNKNOWN_ROOM: 'There is no such room.',
  SERVER_KEY_CHANGED:
    "The server's identity key changed since you last connected. Do not continue until your admin explains why.",
  INVALID_INPUT: 'That input is not valid.',
  NOT_CONNECTED: 'Not connected to the server right now. Try again when the banner says online.',
  SAFETY_NUMBER_MISMATCH: 'That safety number does not match these keys. Nothing was marked verified.',
};

function field(e: unknown, name: string): string | undefined {
  if (typeof e !== 'object' || e === null || !(name in e)) return undefined;
  const value = (e as Record<string, unknown>)[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Codes too broad to explain alone: the message that came with them says more. */
const SPECIFIC_MESSAGE = new Set([
  'BAD_REQUEST',
  'INVALID_INPUT',
  'MEMBERSHIP_RULE',
  'FORBIDDEN',
  'CONFLICT',
  'NOT_FOUND',
]);

/**
 * [K8] [K7] What the server said about you did not hold: the SDK's message names the cause (the iteration count
 * offered, the keys that do not match), and the sign-in stops with nothing to click through.
 */
const LOGIN_REFUSED: Record<string, string> = {
  KDF_TOO_WEAK: 'A weak derivation would make your password cheap to guess. Tell your server admin.',
  OWN_KEYS_MISMATCH: 'Someone may be trying to read your messages. Tell your server admin.',
};

/** A sentence for a person, from whatever was thrown. */
export function describeError(e: unknown): string {
  const code = field(e, 'code');
  if (code !== undefined && LOGIN_REFUSED[code] !== undefined) {
    return `Login refused: ${field(e, 'message') ?? code}. ${LOGIN_REFUSED[code]}`;
  }
  // [R4] The room's log did not verify: nothing was encrypted or shared. The SDK's message names what failed.
  if (code === 'LOG_UNVERIFIED') {
    return `Not sent: ${field(e, 'message') ?? 'the room could not be verified'}. The server may be hiding a change of who is in this room.`;
  }
  if (code !== undefined && SPECIFIC_MESSAGE.has(code) && field(e, 'message') !== undefined) {
    return field(e, 'message')!;
  }
  if (code !== undefined && WORDS[code] !== undefined) return WORDS[code];
  const message = field(e, 'message');
  if (e instanceof TypeError && message !== undefined && /fetch|network/i.test(message)) return WORDS.UNREACHABLE!;
  if (message !== undefined) return message;
  if (code !== undefined) return `The server refused the request (${code}).`;
  return 'Something went wrong. Try again.';
}
