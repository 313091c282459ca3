// Which user, which store, and a signed-in client: the stored session, or a fresh login with $PARLEY_PASSWORD.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createClient, vaultSentence, type ParleyClient } from '@parley/sdk';
import { FileKeyStore, nodeWebSocket } from '@parley/sdk/node';
import type { Invocation } from './args.ts';
import { CliError } from './errors.ts';
import { password } from './prompt.ts';

const CURRENT_USER_FILE = 'current-user';

export async function whichUser(inv: Invocation): Promise<string> {
  if (inv.user) return inv.user.trim().toLowerCase();
  const remembered = await readFile(join(inv.home, CURRENT_USER_FILE), 'utf8').catch(() => '');
  if (remembered.trim()) return remembered.trim();
  throw new CliError('no user: pass --user NAME or set PARLEY_USER');
}

export async function rememberUser(inv: Invocation, user: string): Promise<void> {
  await mkdir(inv.home, { recursive: true, mode: 0o700 });
  await writeFile(join(inv.home, CURRENT_USER_FILE), `${user}\n`, { mode: 0o600 });
}

const lowerClause = (s: string) => s.charAt(0).toLowerCase() + s.slice(1).replace(/\.$/, '');

export function clientFor(inv: Invocation, user: string): ParleyClient {
  // One store directory per user: two accounts on one machine never share keys or ratchets.
  const store = new FileKeyStore(join(inv.home, user));
  const client = createClient({ server: inv.server, store, webSocket: nodeWebSocket, auth: 'bearer' });
  // [K9] A key-backup record the server rolled back or swapped: said, like an integrity warning.
  client.on('vault', (w) =>
    process.stderr.write(`parley: warning: key backup: ${lowerClause(vaultSentence(w))}\n`),
  );
  return client;
}

/** The stored session, else a login with $PARLEY_PASSWORD (or the terminal). */
export async function signedIn(inv: Invocation): Promise<ParleyClient> {
  const user = await whichUser(inv);
  const client = clientFor(inv, user);
  if (await client.resume()) return client;
  await client.login(user, await password('PARLEY_PASSWORD', `password for ${user}: `));
  await rememberUser(inv, user);
  return client;
}
