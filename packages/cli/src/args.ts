// The command line contract: parley [--server URL] [--user NAME] [--home DIR] COMMAND [ARGS] [--json]
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { HISTORY_VISIBILITIES, type HistoryVisibility } from '@parley/sdk';
import { CliError } from './errors.ts';

export interface Invocation {
  command: string | null;
  args: string[];
  server: string;
  user: string | null;
  home: string;
  json: boolean;
  help: boolean;
  public: boolean;
  members: string[];
  /** `create-room --history shared|joined` [R5]; null: not given (the SDK's default, shared). */
  history: HistoryVisibility | null;
  limit: number | null;
  count: number | null;
  /** `verify USER --safety-number N`: pin only if the current keys give N. */
  safetyNumber: string | null;
}

function positiveInt(name: string, value: string | undefined): number | null {
  if (value === undefined) return null;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new CliError(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

function historyOption(value: string | undefined): HistoryVisibility | null {
  if (value === undefined) return null;
  const known = HISTORY_VISIBILITIES.find((h) => h === value);
  if (!known) throw new CliError(`--history must be shared or joined, got "${value}"`);
  return known;
}

const OPTIONS = {
  server: { type: 'string' },
  user: { type: 'string' },
  home: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  public: { type: 'boolean', default: false },
  member: { type: 'string', multiple: true, default: [] as string[] },
  history: { type: 'string' },
  limit: { type: 'string' },
  count: { type: 'string' },
  'safety-number': { type: 'string' },
} satisfies ParseArgsConfig['options'];

const isStringOption = (name: string): boolean =>
  Object.hasOwn(OPTIONS, name) && OPTIONS[name as keyof typeof OPTIONS].type === 'string';

/**
 * Options are long (`--name`) or `-h`; every other word is an argument. Room ids are base64url and may start
 * with '-' (one in 64 does), and so may a message: to parseArgs such a word looks like an unknown short option.
 * A string option takes the next word as its value whatever it starts with (`--limit -5` is a bad limit).
 */
function splitArguments(argv: readonly string[]): { options: string[]; positionals: string[] } {
  const options: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!word.startsWith('--') && word !== '-h') positionals.push(word);
    else if (isStringOption(word.slice(2)) && i + 1 < argv.length) options.push(`${word}=${argv[++i]!}`);
    else options.push(word);
  }
  return { options, positionals };
}

export function parseInvocation(argv: string[], env: NodeJS.ProcessEnv): Invocation {
  const { options, positionals } = splitArguments(argv);
  let parsed;
  try {
    parsed = parseArgs({ args: options, options: OPTIONS });
  } catch (e) {
    throw new CliError(`${(e as Error).message.split('\n')[0]} (see parley --help)`);
  }
  const { values: v } = parsed;
  return {
    command: positionals[0] ?? null,
    args: positionals.slice(1),
    server: v.server ?? env.PARLEY_SERVER ?? 'http://localhost:8000',
    user: v.user ?? env.PARLEY_USER ?? null,
    home: v.home ?? env.PARLEY_HOME ?? join(homedir(), '.parley'),
    json: v.json,
    help: v.help,
    public: v.public,
    members: v.member,
    history: historyOption(v.history),
    limit: positiveInt('limit', v.limit),
    count: positiveInt('count', v.count),
    safetyNumber: v['safety-number'] ?? null,
  };
}

export const USAGE = `parley — end-to-end encrypted chat from the terminal

usage: parley [--server URL] [--user NAME] [--home DIR] COMMAND [ARGS] [--json]

commands:
  register                      create an account (keys made here) and join "general"
  login | logout | whoami
  rooms                         the rooms you are in
  create-room NAME [--public] [--member USER]... [--history shared|joined]
                                prints the new room's id; --history: may new members read earlier
                                messages (shared, the default) or only from when they joined
  invite ROOM USER | join ROOM | leave ROOM
  kick ROOM USER                an admin removes USER from ROOM (a new session before the next message)
  promote ROOM USER             an admin makes USER an admin of ROOM
  send ROOM TEXT...             prints the acknowledged seq
  read ROOM [--limit N]         history, decrypted and verified, oldest first
  listen [ROOM...] [--count N]  live messages until interrupted or N arrived
  fingerprint [USER]            your (or USER's) key fingerprint and your safety number
  verify USER [--safety-number N]   mark USER's keys verified; prints the safety number it pins, and with
                                --safety-number pins only if the keys give N
  passwd                        change your password

ROOM is a room id or the name of a room you are in ("general").
--server  default $PARLEY_SERVER, else http://localhost:8000
--user    default $PARLEY_USER, else the last user who logged in under --home
--home    default $PARLEY_HOME, else ~/.parley
Passwords: $PARLEY_PASSWORD (and $PARLEY_NEW_PASSWORD for passwd), else asked on the terminal.
--json    one JSON object per line
`;
