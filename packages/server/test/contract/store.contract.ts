// The Store contract (STYLE 3): one describe, run against every backend. What a backend must do the same
// way: gap-free seq and the protocol's hash chain [R1], idempotent resends [D2], membership rules [R2],
// first-writer-wins settings [S1], and, where several processes share it, serialised seq [D6]. Over 300 lines on
// purpose: the whole contract a backend signs up to reads in one file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENESIS_CHAIN, eventHash, fromB64u, nextChain, randomId, toB64u, type RoomEvent } from '@parley/protocol';
import type { DatabaseConfig } from '../../src/config.ts';
import { createStore } from '../../src/storage/create-store.ts';
import type { AppendInput, AppendResult, Store } from '../../src/storage/store.ts';

type AppendResultOf = AppendResult | undefined;
import { envelope, keyPool, member, type TestUser } from '../harness.ts';
import type { Backend } from './backends.ts';

const user = async (name: string, which = 0) =>
  ({ name, pairs: (await keyPool())[which]! }) as unknown as TestUser;

async function verifyChain(events: readonly RoomEvent[]): Promise<void> {
  let chain: Uint8Array = GENESIS_CHAIN;
  events.forEach((e, i) => expect(e.seq).toBe(i + 1));
  for (const e of events) {
    const hash = await eventHash(e);
    expect(e.hash).toBe(toB64u(hash));
    chain = await nextChain(chain, hash);
    expect(e.chain).toBe(toB64u(chain));
  }
}

async function seedUsers(store: Store, names: readonly string[]): Promise<void> {
  const keys = { signing: { public: 'x', wrapped: 'x' }, encryption: { public: 'x', wrapped: 'x' } };
  for (const id of names) {
    await store.createUser(
      { id, salt: 's', kdf: { name: 'PBKDF2-SHA256', iterations: 600_000 }, authHash: 'h', keys } as never,
      Date.now(),
    );
  }
}

export function storeContract(backend: Backend<DatabaseConfig>, opts: { multiProcess: boolean }): void {
  describe(`Store contract: ${backend.name}`, () => {
    let deployment: ReturnType<Backend<DatabaseConfig>['deployment']>;
    let store: Store;
    let alice: TestUser;
    let bob: TestUser;
    let room: string;

    const send = async (s: Store, u: TestUser, n: number, clientMsgId = randomId()) =>
      s.appendBatch(
        [{ kind: 'message', sender: u.name, envelope: await envelope(u, room, n, clientMsgId) }],
        Date.now(),
      );

    beforeAll(async () => {
      deployment = backend.deployment();
      store = await createStore(deployment.config);
      [alice, bob] = [await user('alice'), await user('bob', 1)];
      await seedUsers(store, ['alice', 'bob']);
      room = randomId();
      const create = await member(alice, { type: 'create', room, target: 'alice', name: 'r', public: false });
      const invite = await member(alice, { type: 'invite', room, target: 'bob' });
      const [r] = await store.appendBatch([{ kind: 'create', create, invites: [invite] }], Date.now());
      expect(r).toMatchObject({ ok: true });
    });
    afterAll(async () => {
      await store?.close();
      await deployment?.dispose();
    });

    it('[R1] seq is 1, 2, 3 … without gaps and the chain is the protocol chain', async () => {
      const batch: AppendInput[] = [];
      for (let i = 1; i <= 5; i++)
        batch.push({ kind: 'message', sender: 'bob', envelope: await envelope(bob, room, i) });
      const results = await store.appendBatch(batch, Date.now());
      expect(results.map((r) => r.ok && r.events[0]!.seq)).toEqual([3, 4, 5, 6, 7]);
      const events = await store.readEvents(room, { after: 0, limit: 100 });
      await verifyChain(events);
      expect(await store.headSeq(room)).toBe(7);
      expect(events[6]!.kind).toBe('message');
    });

    it('[D2] a resend with the same client message id returns the original event', async () => {
      const id = randomId();
      const [first] = await send(store, alice, 1, id);
      const [again] = await send(store, alice, 1, id);
      expect(again).toMatchObject({ ok: true, duplicate: true });
      const seqOf = (r: typeof first) => (r?.ok ? r.events[0]!.seq : -1);
      expect(seqOf(again)).toBe(seqOf(first));
      expect(seqOf(first)).toBeGreaterThan(0);
    });

    it('[R2] a non-member cannot post and a rule break fails only its own item', async () => {
      await seedUsers(store, ['carol']);
      const carol = await user('carol', 2);
      const results = await store.appendBatch(
        [
          { kind: 'message', sender: 'carol', envelope: await envelope(carol, room, 1) },
          { kind: 'message', sender: 'alice', envelope: await envelope(alice, room, 2) },
        ],
        Date.now(),
      );
      expect(results[0]).toMatchObject({ ok: false, code: 'NOT_MEMBER' });
      expect(results[1]).toMatchObject({ ok: true });
      await verifyChain(await store.readEvents(room, { after: 0, limit: 100 }));
    });

    it('[R2] creating a room id twice is a CONFLICT, not an error', async () => {
      const [create] = await store.readEvents(room, { after: 0, limit: 1 });
      const again = await store.appendBatch(
        [{ kind: 'create', create: create!.content as never, invites: [] }],
        Date.now(),
      );
      expect(again[0]).toMatchObject({ ok: false, code: 'CONFLICT' });
    });

    it('[R2] a membership change submitted again (same event id) is refused and stored once', async () => {
      await seedUsers(store, ['dave']);
      const invite = await member(alice, { type: 'invite', room, target: 'dave' });
      expect((await store.appendBatch([{ kind: 'member', event: invite }], Date.now()))[0]).toMatchObject({
        ok: true,
      });
      const again = await store.appendBatch([{ kind: 'member', event: invite }], Date.now());
      expect(again[0]).toMatchObject({ ok: false });
      const events = await store.readEvents(room, { after: 0, limit: 1000 });
      const ids = events.flatMap((e) => (e.kind === 'member' ? [e.content.eventId] : []));
      expect(ids.filter((id) => id === invite.eventId)).toHaveLength(1);
    });

    it('accounts, sessions and shares round-trip with numbers as numbers', async () => {
      expect(await store.createUser({ ...(await store.getUser('alice'))!, id: 'alice' }, 1)).toBe(false);
      await store.createSession({
        id: 's1',
        user: 'alice',
        csrfToken: 'c',
        createdAt: 1,
        lastSeenAt: 2,
        tokenHash: 'th',
      });
      await store.touchSession('s1', 5);
      expect(await store.findSession('th')).toEqual({
        id: 's1',
        user: 'alice',
        csrfToken: 'c',
        createdAt: 1,
        lastSeenAt: 5,
      });
      const share = { recipient: 'bob', sessionId: 'sid', ciphertext: 'ct', signature: 'sg' };
      const open = { maxPending: 100 };
      expect(await store.insertShares(room, 'alice', [share, share], open)).toEqual([]);
      const shares = await store.sharesFor('bob', 0);
      expect(shares.map((s) => typeof s.id)).toEqual(['number', 'number']);
      await store.deleteShares('bob', [shares[0]!.id]);
      expect(await store.sharesFor('bob', 0)).toHaveLength(1);
      // A recipient's shares of one room go when they leave it; another recipient's stay.
      await store.insertShares(room, 'alice', [{ ...share, recipient: 'alice' }], open);
      await store.dropPending(room, 'bob');
      expect(await store.sharesFor('bob', 0)).toEqual([]);
      expect(await store.sharesFor('alice', 0)).toHaveLength(1);
      await store.ping();
    });

    it('[M2] pending shares are capped per recipient and expire', async () => {
      const share = { recipient: 'bob', sessionId: 'sid', ciphertext: 'ct', signature: 'sg' };
      await store.insertShares(room, 'alice', [share, share], { maxPending: 2 });
      // Bob has 2 waiting: a third is not stored, and he is named; carol's is.
      const skipped = await store.insertShares(room, 'alice', [share, { ...share, recipient: 'carol' }], {
        maxPending: 2,
      });
      expect(skipped).toEqual(['bob']);
      expect(await store.sharesFor('bob', 0)).toHaveLength(2);
      expect(await store.sharesFor('carol', 0)).toHaveLength(1);
      // Read with a later cut-off, they are expired: gone, and gone for good.
      expect(await store.sharesFor('bob', Date.now() + 1000)).toEqual([]);
      expect(await store.sharesFor('bob', 0)).toEqual([]);
    });

    it('[M2] key requests: one per session, answered by a share, acknowledged, dropped on leave', async () => {
      const ask = (requester: string, sessionId: string) =>
        store.insertKeyRequest({ room, requester, sender: 'alice', sessionId });
      const first = await ask('bob', 's1');
      expect(typeof first).toBe('number');
      expect(await ask('bob', 's1')).toBeNull();
      await ask('bob', 's2');
      await ask('carol', 's1');
      expect(await store.pendingKeyRequests('bob')).toBe(2);
      const waiting = await store.keyRequestsFor('alice', 0);
      expect(waiting.map((r) => [r.requester, r.sessionId])).toEqual([
        ['bob', 's1'],
        ['bob', 's2'],
        ['carol', 's1'],
      ]);
      expect(waiting[0]).toEqual({ id: first, room, requester: 'bob', sender: 'alice', sessionId: 's1' });
      // A share of s1 to bob answers his request for s1 only.
      const share = { recipient: 'bob', sessionId: 's1', ciphertext: 'ct', signature: 'sg' };
      await store.insertShares(room, 'alice', [share], { maxPending: 100 });
      expect((await store.keyRequestsFor('alice', 0)).map((r) => [r.requester, r.sessionId])).toEqual([
        ['bob', 's2'],
        ['carol', 's1'],
      ]);
      // Another sender cannot acknowledge alice's requests.
      const ids = (await store.keyRequestsFor('alice', 0)).map((r) => r.id);
      await store.deleteKeyRequests('mallory', ids);
      expect(await store.keyRequestsFor('alice', 0)).toHaveLength(2);
      await store.deleteKeyRequests('alice', [ids[0]!]);
      expect((await store.keyRequestsFor('alice', 0)).map((r) => r.requester)).toEqual(['carol']);
      await store.dropPending(room, 'carol');
      expect(await store.keyRequestsFor('alice', 0)).toEqual([]);
      // Out of the room, alice can answer nothing there: the requests to her go too (not those elsewhere).
      await ask('bob', 's4');
      await store.insertKeyRequest({ room: 'elsewhere', requester: 'bob', sender: 'alice', sessionId: 's4' });
      await store.dropPending(room, 'alice');
      expect((await store.keyRequestsFor('alice', 0)).map((r) => r.room)).toEqual(['elsewhere']);
      await store.deleteKeyRequests(
        'alice',
        (await store.keyRequestsFor('alice', 0)).map((r) => r.id),
      );
      // Expired requests are deleted as they are found.
      await ask('bob', 's3');
      expect(await store.keyRequestsFor('alice', Date.now() + 1000)).toEqual([]);
      expect(await store.pendingKeyRequests('bob')).toBe(0);
      await store.ping();
    });

    it('[K9] the vault: versions only go up, a write is all or none, the feed returns what changed since', async () => {
      const rec = (id: string, version: number, tag = 'x') => ({
        id,
        version,
        iv: 'AAAAAAAAAAAAAAAA',
        ciphertext: `${tag}${version}`,
      });
      const start = await store.vaultAfter('bob', 0, 100);
      expect(start).toEqual({ records: [], seq: 0, hasMore: false });
      expect(await store.putVault('bob', [rec('pins', 1), rec('s:a', 1)], 10)).toEqual({ seq: 2 });
      // A stale version of one record refuses the whole batch: 's:b' is not written either.
      expect(await store.putVault('bob', [rec('pins', 1, 'y'), rec('s:b', 1)], 10)).toEqual({
        refused: 'stale',
        ids: ['pins'],
      });
      expect(await store.putVault('bob', [rec('pins', 2)], 10)).toMatchObject({ seq: expect.any(Number) });
      const all = await store.vaultAfter('bob', 0, 100);
      expect(all.records.map((r) => [r.id, r.version, r.ciphertext])).toEqual([
        ['s:a', 1, 'x1'],
        ['pins', 2, 'x2'],
      ]);
      expect(all.records.map((r) => typeof r.seq)).toEqual(['number', 'number']);
      // Only what changed after a position; paged.
      const after = await store.vaultAfter('bob', all.records[0]!.seq, 100);
      expect(after.records.map((r) => r.id)).toEqual(['pins']);
      const first = await store.vaultAfter('bob', 0, 1);
      expect(first).toMatchObject({ hasMore: true, seq: first.records[0]!.seq });
      // Another user's vault is another vault; the cap counts records.
      expect((await store.vaultAfter('alice', 0, 100)).records).toEqual([]);
      expect(await store.putVault('bob', [rec('s:c', 1)], 2)).toEqual({ refused: 'full' });
      // Two devices racing on one record: one wins, the other is told.
      const race = await Promise.all([
        store.putVault('bob', [rec('s:a', 2, 'p')], 10),
        store.putVault('bob', [rec('s:a', 2, 'q')], 10),
      ]);
      expect(race.filter((r) => 'refused' in r)).toEqual([{ refused: 'stale', ids: ['s:a'] }]);
    });

    it('[K5] [K9] a password change re-seals the whole vault with the keys, or changes nothing', async () => {
      await seedUsers(store, ['carol']);
      const before = (await store.getUser('carol'))!;
      const rec = (id: string, version: number) => ({
        id,
        version,
        iv: 'AAAAAAAAAAAAAAAA',
        ciphertext: `c${version}`,
      });
      await store.putVault('carol', [rec('pins', 1), rec('s:a', 1)], 10);
      const change = { user: 'carol', salt: 's2', kdf: before.kdf, authHash: 'h2', keys: before.keys };
      // Leaving a record out would leave it sealed under the old password: refused, nothing changes.
      expect(await store.changePassword(change, 'none', [rec('pins', 2)])).toEqual({ refused: 'incomplete' });
      expect((await store.getUser('carol'))!.authHash).toBe('h');
      expect(await store.changePassword(change, 'none', [rec('pins', 2), rec('s:a', 2)])).toEqual({
        sessionsEnded: [],
      });
      expect((await store.getUser('carol'))!.authHash).toBe('h2');
      const vault = await store.vaultAfter('carol', 0, 10);
      expect(vault.records.map((r) => [r.id, r.version])).toEqual([
        ['pins', 2],
        ['s:a', 2],
      ]);
    });

    it('[M5] heads are stored once per seq and read back with the latest', async () => {
      const head = { room, seq: 3, ts: 1, chain: toB64u(new Uint8Array(32)), signature: 'sig' };
      await store.insertHeads([head]);
      await store.insertHeads([head, { ...head, seq: 5 }]);
      expect((await store.readHeads(room, 3, 3)).map((h) => h.seq)).toEqual([3, 5]);
    });

    it('[S1] a setting is written once: concurrent claims all read the first value', async () => {
      const values = await Promise.all(['a', 'b', 'c'].map((v) => store.claimSetting('contract', v)));
      expect(new Set(values).size).toBe(1);
      expect(await store.readSetting('contract')).toBe(values[0]);
      expect(await store.readSetting('missing')).toBeUndefined();
    });

    it('[D2] a resend inside a batch of fresh messages gets its original event; the rest commit gap-free', async () => {
      const id = randomId();
      const [first] = await send(store, alice, 1, id);
      const results = await store.appendBatch(
        [
          { kind: 'message', sender: 'bob', envelope: await envelope(bob, room, 2) },
          { kind: 'message', sender: 'alice', envelope: await envelope(alice, room, 1, id) },
          { kind: 'message', sender: 'bob', envelope: await envelope(bob, room, 3) },
        ],
        Date.now(),
      );
      const seqOf = (r: typeof first) => (r?.ok ? r.events[0]!.seq : -1);
      expect(results[1]).toMatchObject({ ok: true, duplicate: true });
      expect(seqOf(results[1])).toBe(seqOf(first));
      expect(seqOf(results[2])).toBe(seqOf(results[0]) + 1);
      expect(seqOf(results[0])).toBe(seqOf(first) + 1);
      await verifyChain(await store.readEvents(room, { after: 0, limit: 1000 }));
    });

    it('[D2] the same client message id twice in one batch: one event, the second gets it as a resend', async () => {
      const id = randomId();
      const same = await envelope(alice, room, 1, id);
      const results = await store.appendBatch(
        [
          { kind: 'message', sender: 'alice', envelope: same },
          { kind: 'message', sender: 'alice', envelope: same },
          { kind: 'message', sender: 'bob', envelope: await envelope(bob, room, 4) },
        ],
        Date.now(),
      );
      const seqOf = (r: AppendResultOf) => (r?.ok ? r.events[0]!.seq : -1);
      expect(results[0]).toMatchObject({ ok: true, duplicate: false });
      expect(results[1]).toMatchObject({ ok: true, duplicate: true });
      expect(seqOf(results[1])).toBe(seqOf(results[0]));
      expect(seqOf(results[2])).toBe(seqOf(results[0]) + 1);
      await verifyChain(await store.readEvents(room, { after: 0, limit: 1000 }));
    });

    it('[D2] a resend after the sender left still gets its original event, not a refusal', async () => {
      const id = randomId();
      const sent = await envelope(bob, room, 5, id);
      const [first] = await store.appendBatch([{ kind: 'message', sender: 'bob', envelope: sent }], Date.now());
      expect(first).toMatchObject({ ok: true, duplicate: false });
      // A change after the send: a fresh message for the old membership is refused [M11] ...
      const leave = await member(bob, { type: 'leave', room, target: 'bob' });
      expect((await store.appendBatch([{ kind: 'member', event: leave }], Date.now()))[0]).toMatchObject({
        ok: true,
      });
      const [fresh] = await store.appendBatch(
        [{ kind: 'message', sender: 'bob', envelope: await envelope(bob, room, 6) }],
        Date.now(),
      );
      expect(fresh).toMatchObject({ ok: false, code: 'NOT_MEMBER' });
      // ... but the resend of what was committed before is answered with its original event.
      const [again] = await store.appendBatch([{ kind: 'message', sender: 'bob', envelope: sent }], Date.now());
      expect(again).toMatchObject({ ok: true, duplicate: true });
      expect(again?.ok && again.events[0]!.seq).toBe(first?.ok && first.events[0]!.seq);
      const invite = await member(alice, { type: 'invite', room, target: 'bob' });
      expect((await store.appendBatch([{ kind: 'member', event: invite }], Date.now()))[0]).toMatchObject({
        ok: true,
      });
    });

    it('[D6] a membership change committed through another store reaches this store at once', async () => {
      const other = await createStore(deployment.config);
      try {
        expect((await send(store, bob, 1))[0]).toMatchObject({ ok: true });
        const kick = await member(alice, { type: 'kick', room, target: 'bob' });
        expect((await other.appendBatch([{ kind: 'member', event: kick }], Date.now()))[0]).toMatchObject({
          ok: true,
        });
        expect((await send(store, bob, 2))[0]).toMatchObject({ ok: false, code: 'NOT_MEMBER' });
        const invite = await member(alice, { type: 'invite', room, target: 'bob' });
        expect((await other.appendBatch([{ kind: 'member', event: invite }], Date.now()))[0]).toMatchObject({
          ok: true,
        });
        expect((await send(store, bob, 3))[0]).toMatchObject({ ok: true });
        await verifyChain(await store.readEvents(room, { after: 0, limit: 1000 }));
      } finally {
        await other.close();
      }
    });

    if (opts.multiProcess) {
      it('[D6] two processes writing one room at once: seq stays gap-free and the chain consistent', async () => {
        const other = await createStore(deployment.config);
        try {
          const writers = [store, other, store, other];
          await Promise.all(
            writers.map(async (s, w) => {
              for (let i = 0; i < 10; i++) {
                const u = w % 2 ? alice : bob;
                const items: AppendInput[] = [];
                for (let k = 0; k < 3; k++)
                  items.push({ kind: 'message', sender: u.name, envelope: await envelope(u, room, 100 + k) });
                const results = await s.appendBatch(items, Date.now());
                expect(results.every((r) => r.ok)).toBe(true);
              }
            }),
          );
          const events = await other.readEvents(room, { after: 0, limit: 1000 });
          await verifyChain(events);
          expect(await other.headSeq(room)).toBe(events.length);
          expect(fromB64u(events.at(-1)!.chain)).toHaveLength(32);
        } finally {
          await other.close();
        }
      });
    }
  });
}
