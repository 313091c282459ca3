// The history scenario of issue 23: three people, 300 messages, a logout and login, second and third devices,
// senders offline when they read. It counts the messages a device did not show as `ok` although its account
// was entitled to read them (every message here: all three are members from the room's start), and what the
// account vault cost: write requests, records and bytes. Used by test/vault/history.test.ts (target: 0) and by
// `npm run bench:history`, which prints the figures.
import { createClient, MemoryKeyStore, type ParleyClient } from '@parley/sdk';
import { nodeWebSocket } from '@parley/sdk/node';

const PASSWORD = 'correct horse battery staple';

export interface DeviceRead {
  /** Who read, on which device and when ("alice, after logout and login"). */
  device: string;
  entitled: number;
  unreadable: number;
}

export interface HistoryScenarioResult {
  reads: DeviceRead[];
  unreadable: number;
  /** Verified flags that did not follow the account to another device or sign-in. */
  verificationsLost: number;
  vault: { writeRequests: number; records: number; bytes: number };
}

export async function historyScenario(
  server: string,
  opts: { messages?: number } = {},
): Promise<HistoryScenarioResult> {
  const total = opts.messages ?? 300;
  const vault = { writeRequests: 0, records: 0, bytes: 0 };
  // Counts the vault writes of every device (the server sees the same requests).
  const counting: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (init?.method === 'PUT' && url.endsWith('/api/vault') && typeof init.body === 'string') {
      const { records } = JSON.parse(init.body) as { records: unknown[] };
      vault.writeRequests += 1;
      vault.records += records.length;
      vault.bytes += init.body.length;
    }
    return fetch(input, init);
  };
  const device = (store = new MemoryKeyStore()) =>
    createClient({ server, store, webSocket: nodeWebSocket, fetch: counting });

  const reads: DeviceRead[] = [];
  let verificationsLost = 0;
  async function read(c: ParleyClient, room: string, label: string): Promise<void> {
    let unreadable = 0;
    let entitled = 0;
    for (let before: number | undefined, more = true; more;) {
      const page = await c.historyPage(room, before === undefined ? { limit: 200 } : { limit: 200, before });
      entitled += page.messages.length;
      unreadable += page.messages.filter((m) => m.status !== 'ok').length;
      before = page.oldestSeq ?? undefined;
      more = page.hasMore;
    }
    reads.push({ device: label, entitled, unreadable });
  }
  async function stillVerified(c: ParleyClient, user: string): Promise<void> {
    if (!(await c.contact(user)).verified) verificationsLost += 1;
  }

  const aliceStore = new MemoryKeyStore();
  const bobStore = new MemoryKeyStore();
  const [alice1, bob1, carol1] = [device(aliceStore), device(bobStore), device()];
  await alice1.register('alice', PASSWORD);
  await bob1.register('bob', PASSWORD);
  await carol1.register('carol', PASSWORD);
  const room = (await alice1.createRoom('history', { members: ['bob', 'carol'] })).id;
  // alice compares safety numbers with bob once, on her first device.
  await alice1.verify('bob', (await bob1.contact('alice')).safetyNumber!);

  // The first half: everyone on their first device, each reading as they go (collecting the key shares).
  const senders = [alice1, bob1, carol1];
  for (let i = 0; i < total / 2; i++) {
    await senders[i % 3]!.send(room, `first half ${i}`);
    if (i % 50 === 49) for (const s of senders) await s.history(room, { limit: 50 });
  }
  // alice signs out and in again on the same device.
  await alice1.logout();
  await alice1.login('alice', PASSWORD);
  await read(alice1, room, 'alice, after logout and login');
  await stillVerified(alice1, 'bob');

  // bob's second device writes the second half with carol; then every sender goes offline.
  const bob2 = device();
  await bob2.login('bob', PASSWORD);
  for (let i = 0; i < total / 2; i++) await (i % 2 === 0 ? bob2 : carol1).send(room, `second half ${i}`);
  await read(bob2, room, 'bob, second device');
  for (const c of [alice1, bob1, bob2, carol1]) await c.logout();

  // alice's second and third devices, and bob and carol back, with no sender online to answer a key request.
  for (const [user, label] of [
    ['alice', 'alice, second device'],
    ['alice', 'alice, third device'],
    ['bob', 'bob, first device after login'],
    ['carol', 'carol, second device'],
  ] as const) {
    const c = label === 'bob, first device after login' ? device(bobStore) : device();
    await c.login(user, PASSWORD);
    await read(c, room, label);
    if (user === 'alice') await stillVerified(c, 'bob');
    await c.logout();
  }
  return { reads, unreadable: reads.reduce((n, r) => n + r.unreadable, 0), verificationsLost, vault };
}
