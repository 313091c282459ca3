// One function per command. Each prints its result through `out` and throws on failure.
import type { ParleyClient } from '@parley/sdk';
import type { Invocation } from './args.ts';
import { CliError } from './errors.ts';
import { printMessage, safe, type Out } from './output.ts';
import { askHidden, password } from './prompt.ts';
import { clientFor, rememberUser, signedIn, whichUser } from './session.ts';
import { printWarning } from './warnings.ts';

type Command = (inv: Invocation, out: Out) => Promise<void>;

function arg(inv: Invocation, i: number, name: string): string {
  const value = inv.args[i];
  if (!value) throw new CliError(`missing ${name}: parley ${inv.command} ${name} (see parley --help)`);
  return value;
}

const progress = (step: string) => {
  if (process.stderr.isTTY) process.stderr.write(`${step}…\n`);
};

async function newPassword(envName: string, question: string): Promise<string> {
  const fromEnv = process.env[envName];
  if (fromEnv) return fromEnv;
  const first = await askHidden(question);
  if ((await askHidden('again: ')) !== first) throw new CliError('the two passwords differ');
  return first;
}

/** Runs a command on a signed-in client and always lets go of it, so the process can exit. */
function withClient(run: (c: ParleyClient, inv: Invocation, out: Out) => Promise<void>): Command {
  return async (inv, out) => {
    const client = await signedIn(inv);
    try {
      await run(client, inv, out);
      // [M2] The CLI is online only while a command runs: key requests other members left meanwhile are
      // answered now (the web client does it on every connection).
      await client.answerKeyRequests().catch(() => 0);
    } finally {
      await client.disconnect();
    }
  };
}

export const commands: Record<string, Command> = {
  async register(inv, out) {
    const user = await whichUser(inv);
    const client = clientFor(inv, user);
    await client.register(user, await newPassword('PARLEY_PASSWORD', `new password for ${user}: `), progress);
    await rememberUser(inv, user);
    out.print(`registered ${user} and joined general`, { user });
  },
  async login(inv, out) {
    const user = await whichUser(inv);
    const client = clientFor(inv, user);
    await client.login(user, await password('PARLEY_PASSWORD', `password for ${user}: `), progress);
    await rememberUser(inv, user);
    out.print(`logged in as ${user}`, { user });
  },
  async logout(inv, out) {
    const user = await whichUser(inv);
    const client = clientFor(inv, user);
    if (await client.resume()) await client.logout();
    out.print(`logged out ${user}`, { user });
  },
  whoami: withClient(async (c, _inv, out) => {
    const me = await c.contact(c.user ?? '');
    out.print(`${me.user}\nfingerprint: ${me.fingerprint}`, { user: me.user, fingerprint: me.fingerprint });
  }),
  rooms: withClient(async (c, _inv, out) => {
    for (const r of await c.rooms()) {
      const data = {
        id: r.id,
        name: r.name,
        public: r.public,
        role: r.role,
        headSeq: r.headSeq,
        official: r.official,
      };
      const kind = r.official ? ' (server)' : r.public ? ' (public)' : '';
      out.print(`${r.id}  ${safe(r.name)}${kind}  ${r.role ?? ''}`, data);
    }
  }),
  'create-room': withClient(async (c, inv, out) => {
    const r = await c.createRoom(arg(inv, 0, 'NAME'), {
      public: inv.public,
      members: inv.members,
      history: inv.history ?? 'shared',
    });
    out.print(r.id, { id: r.id, name: r.name, public: r.public, history: inv.history ?? 'shared' });
  }),
  invite: withClient(async (c, inv, out) => {
    const room = await c.resolveRoom(arg(inv, 0, 'ROOM'));
    const user = arg(inv, 1, 'USER');
    await c.invite(room.id, user);
    out.print(`invited ${user} to ${safe(room.name)}`, { room: room.id, user });
  }),
  kick: withClient(async (c, inv, out) => {
    const room = await c.resolveRoom(arg(inv, 0, 'ROOM'));
    const user = arg(inv, 1, 'USER');
    await c.kick(room.id, user);
    out.print(`removed ${user} from ${safe(room.name)}`, { room: room.id, user });
  }),
  promote: withClient(async (c, inv, out) => {
    const room = await c.resolveRoom(arg(inv, 0, 'ROOM'));
    const user = arg(inv, 1, 'USER');
    await c.promote(room.id, user);
    out.print(`made ${user} an admin of ${safe(room.name)}`, { room: room.id, user });
  }),
  join: withClient(async (c, inv, out) => {
    const room = await c.resolveRoom(arg(inv, 0, 'ROOM'));
    await c.join(room.id);
    out.print(`joined ${safe(room.name)}`, { room: room.id, name: room.name });
  }),
  leave: withClient(async (c, inv, out) => {
    const room = await c.resolveRoom(arg(inv, 0, 'ROOM'));
    await c.leave(room.id);
    out.print(`left ${safe(room.name)}`, { room: room.id, name: room.name });
  }),
  send: withClient(async (c, inv, out) => {
    const room = await c.resolveRoom(arg(inv, 0, 'ROOM'));
    const text = inv.args.slice(1).join(' ');
    if (!text) throw new CliError('missing TEXT: parley send ROOM TEXT...');
    const { seq } = await c.send(room.id, text);
    out.print(String(seq), { room: room.id, seq });
  }),
  read: withClient(async (c, inv, out) => {
    // Findings about any room are said, from the first request on: they are what the server did meanwhile.
    const names = new Map<string, string>();
    c.on('integrity', (w) => printWarning(out, w, names.get(w.room) ?? w.room));
    const room = await c.resolveRoom(arg(inv, 0, 'ROOM'));
    names.set(room.id, room.name);
    const messages = await c.history(room.id, { limit: inv.limit ?? 50 });
    for (const m of messages) printMessage(out, m, room.name, c.user);
  }),
  listen: withClient(listen),
  fingerprint: withClient(async (c, inv, out) => {
    const info = await c.contact(inv.args[0] ?? c.user ?? '');
    const lines = [`${info.user}: ${info.fingerprint}${info.verified ? ' (verified)' : ''}`];
    if (info.safetyNumber) lines.push(`safety number: ${info.safetyNumber}`);
    if (info.keyChanged) {
      lines.push(`WARNING: ${info.user}'s keys CHANGED since you first saw them`);
      lines.push(`new fingerprint: ${info.newFingerprint ?? '-'}`);
      if (info.newSafetyNumber) lines.push(`new safety number: ${info.newSafetyNumber}`);
    }
    out.print(lines.join('\n'), { ...info });
  }),
  verify: withClient(async (c, inv, out) => {
    const user = arg(inv, 0, 'USER');
    // [K6] With --safety-number, only the keys that give that number are pinned. Without it, the number of the
    // keys served now (the new ones after a change) is the one pinned, and it is printed.
    let shown = inv.safetyNumber;
    if (shown === null) {
      const info = await c.contact(user);
      shown = (info.keyChanged ? info.newSafetyNumber : info.safetyNumber) ?? '';
    }
    const info = await c.verify(user, shown);
    out.print(`${info.user}'s keys are now marked verified (safety number ${info.safetyNumber ?? '-'})`, {
      ...info,
    });
  }),
  passwd: withClient(async (c, _inv, out) => {
    const current = await password('PARLEY_PASSWORD', 'current password: ');
    await c.changePassword(current, await newPassword('PARLEY_NEW_PASSWORD', 'new password: '));
    out.print('password changed; your other sessions were signed out', { user: c.user });
  }),
};

async function listen(c: ParleyClient, inv: Invocation, out: Out): Promise<void> {
  const rooms = await Promise.all(inv.args.map((r) => c.resolveRoom(r)));
  const names = new Map((await c.rooms()).map((r) => [r.id, r.name]));
  const wanted = new Set(rooms.map((r) => r.id));
  let seen = 0;
  await new Promise<void>((resolve, reject) => {
    const onSignal = () => resolve();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const show = (m: Parameters<typeof printMessage>[1], counts: boolean) => {
      if (wanted.size > 0 && !wanted.has(m.room)) return;
      printMessage(out, m, names.get(m.room) ?? m.room, c.user);
      if (counts && inv.count !== null && ++seen >= inv.count) resolve();
    };
    c.on('message', (m) => show(m, true));
    c.on('recovered', (m) => show(m, false));
    c.on('keyUnavailable', (m) => show(m, false));
    c.on('integrity', (w) => {
      if (wanted.size === 0 || wanted.has(w.room)) printWarning(out, w, names.get(w.room) ?? w.room);
    });
    c.on('keychange', ({ user }) =>
      process.stderr.write(`WARNING: ${user}'s keys changed: check the safety number\n`),
    );
    c.connect({ fromNow: true }).then(() => {
      process.stderr.write(`listening on ${wanted.size || 'all'} room(s)\n`);
    }, reject);
  });
}
