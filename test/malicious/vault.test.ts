/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- the rewritten
   answers are parsed JSON; typing each one would hide what the attack changes. */
// [K9] The account vault against its server: a record moved to another user or another id, or an older
// version served again, is refused and reported (`vault` event), never applied.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParleyClient, VaultWarning } from '../../packages/sdk/src/index.ts';
import { adversary, PASSWORD, registered, type Adversary } from './adversary.ts';

let a: Adversary;
let alice: ParleyClient;
let bob: ParleyClient;

beforeAll(async () => {
  a = await adversary();
  [alice, bob] = await registered(a, ['alice', 'bob']);
}, 120_000);
afterAll(() => a?.close());

/** Every vault record `user`'s devices wrote, oldest first. */
const written = (user: string) =>
  a.sent
    .filter((s) => s.user === user && s.method === 'PUT' && s.url.endsWith('/api/vault'))
    .flatMap((s) => s.body.records as any[]);

/** `user`'s vault reads with `extra` records appended, as if the server had just (re)written them. */
function serveExtra(user: string, extra: () => any[]): void {
  a.http = (who, url, body) => {
    if (who !== user || !url.includes('/api/vault?') || !body?.records) return undefined;
    const more = extra().map((r, i) => ({ ...r, seq: body.seq + i + 1 }));
    return { ...body, records: [...body.records, ...more], seq: body.seq + more.length };
  };
}

describe('[K9] a vault record the server moves or rolls back', () => {
  it('an older version of a record this device has seen is reported as a rollback and not used', async () => {
    await bob.contact('alice'); // pins alice: version 1 of bob's record p:alice, unverified
    await bob.disconnect(); // writes what is queued
    await bob.verify('alice', (await alice.contact('bob')).safetyNumber!);
    await bob.disconnect();
    const pins = written('bob').filter((r) => r.id === 'p:alice');
    expect(pins.map((r) => r.version)).toEqual([1, 2]);
    // bob on a second device reads version 2 (verified), then the server serves version 1 again.
    const second = a.client('bob');
    await second.login('bob', PASSWORD);
    expect((await second.contact('alice')).verified).toBe(true);
    const said: VaultWarning[] = [];
    second.on('vault', (w) => said.push(w));
    serveExtra('bob', () => [pins[0]]);
    try {
      await second.connect(); // a (re)connect reads what changed in the vault
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      a.http = null;
      await second.disconnect();
    }
    expect(said).toEqual([
      {
        kind: 'rollback',
        record: 'p:alice',
        detail: expect.stringMatching(
          /^the server served version 1 of vault record p:alice, older than version 2/,
        ),
      },
    ]);
    expect((await second.contact('alice')).verified).toBe(true);
  });

  it("another user's record, or one moved to another id, does not open: reported, not used", async () => {
    // alice's own session of a room bob is not in: a record id bob's vault never had, at its own version.
    const room = (await alice.createRoom('alone')).id;
    await alice.send(room, 'hello me');
    await alice.disconnect();
    const alices = written('alice').find((r) => r.id.startsWith(`s:${room}:alice:`))!;
    const bobsOwn = written('bob').find((r) => r.id === 'server-pin')!;
    const third = a.client('bob');
    await third.login('bob', PASSWORD);
    const said: VaultWarning[] = [];
    third.on('vault', (w) => said.push(w));
    // alice's record served as bob's, and bob's server pin moved to another id (same version).
    serveExtra('bob', () => [alices, { ...bobsOwn, id: 'p:zed' }]);
    try {
      await third.connect();
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      a.http = null;
      await third.disconnect();
    }
    expect(said.map((w) => [w.kind, w.record])).toEqual([
      ['unreadable', alices.id],
      ['unreadable', 'p:zed'],
    ]);
    const info = await third.contact('alice');
    expect(info.verified).toBe(true);
    expect(info.keyChanged).toBe(false);
  });
});
