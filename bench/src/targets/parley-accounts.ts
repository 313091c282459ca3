// Parley accounts and rooms over the real HTTP API with real crypto. The expensive client work is done once
// per benchmark process: one pair of RSA-3072 key pairs and one PBKDF2 derivation, reused by every account
// (each account's private keys are still wrapped for its own user id, as [K2] binds them).
import {
  DEFAULT_KDF,
  deriveAccountSecrets,
  generateUserKeyPairs,
  randomBytes,
  randomId,
  sealAccountKeys,
  signMemberEvent,
  toB64u,
  type AccountSecrets,
  type MemberEvent,
  type UserKeyPairs,
} from '@parley/protocol';

export interface Kit {
  keys: UserKeyPairs;
  secrets: AccountSecrets;
  salt: Uint8Array;
}

let kit: Promise<Kit> | null = null;
/** The one client key set of this process (made on first use). */
export function clientKit(): Promise<Kit> {
  kit ??= (async () => {
    const salt = randomBytes(16);
    const [keys, secrets] = await Promise.all([
      generateUserKeyPairs(),
      deriveAccountSecrets('bench password, never a real one', salt, DEFAULT_KDF),
    ]);
    return { keys, secrets, salt };
  })();
  return kit;
}

export interface Account {
  user: string;
  token: string;
}

async function call<T>(base: string, route: string, body: unknown, token?: string): Promise<T> {
  const res = await fetch(`${base}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${route} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

export async function register(base: string, user: string): Promise<Account> {
  const k = await clientKit();
  const answer = await call<{ token: string }>(base, '/api/register', {
    username: user,
    salt: toB64u(k.salt),
    kdf: DEFAULT_KDF,
    authKey: toB64u(k.secrets.authKey),
    keys: await sealAccountKeys(user, k.keys, k.secrets.wrapKey),
  });
  return { user, token: answer.token };
}

/** A private room created by `creator` with everyone in `others` invited, each event signed [R2]. */
export async function createRoom(base: string, creator: Account, others: readonly Account[]): Promise<string> {
  const { keys } = await clientKit();
  const room = randomId();
  const sign = (type: 'create' | 'invite', target: string, extra: Partial<MemberEvent> = {}) =>
    signMemberEvent(
      { v: 1, type, room, actor: creator.user, target, eventId: randomId(), ts: Date.now(), ...extra },
      keys.signing.privateKey,
    );
  const create = await sign('create', creator.user, { name: `bench ${room.slice(0, 6)}`, public: false });
  const invites = await Promise.all(others.map((o) => sign('invite', o.user)));
  await call(base, '/api/rooms', { create, invites }, creator.token);
  return room;
}
