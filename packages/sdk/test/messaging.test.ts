import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParleyClient } from '../src/index.ts';
import { client, next, PASSWORD, registered, testServer } from './helpers.ts';

describe('messaging between real clients', () => {
  let server: Awaited<ReturnType<typeof testServer>>;
  let alice: ParleyClient;
  let bob: ParleyClient;
  const warnings: unknown[] = [];

  beforeAll(async () => {
    server = await testServer();
    [alice, bob] = await Promise.all([registered(server.url, 'alice'), registered(server.url, 'bob')]);
    for (const c of [alice, bob]) c.on('integrity', (w) => warnings.push(w));
  });
  afterAll(async () => {
    await Promise.all([alice?.disconnect(), bob?.disconnect()]);
    await server?.close();
  });

  it('[R3] register joins "general" and the room resolves by name', async () => {
    const rooms = await alice.rooms();
    expect(rooms.map((r) => r.name)).toContain('general');
    expect((await bob.resolveRoom('general')).public).toBe(true);
  });

  it('[M1] [M2] a message in general reaches the other member live, decrypted and signed', async () => {
    await bob.connect();
    const got = next(bob, 'message', (m) => m.sender === 'alice');
    const { seq } = await alice.send('general', 'hello general');
    const m = await got;
    expect(m).toMatchObject({ status: 'ok', text: 'hello general', seq, sender: 'alice' });
  });

  it('[R2] a private room: members read history oldest first, a stranger cannot resolve it', async () => {
    const room = await alice.createRoom('secret', { members: ['bob'] });
    await alice.send(room.id, 'one');
    await alice.send(room.id, 'two');
    await bob.send(room.id, 'three');
    const history = await bob.history('secret');
    expect(history.map((m) => [m.sender, m.status, m.text])).toEqual([
      ['alice', 'ok', 'one'],
      ['alice', 'ok', 'two'],
      ['bob', 'ok', 'three'],
    ]);
    expect((await alice.history(room.id)).map((m) => m.text)).toEqual(['one', 'two', 'three']);
    const carol = await registered(server.url, 'carol');
    await expect(carol.resolveRoom(room.id)).rejects.toMatchObject({ code: 'UNKNOWN_ROOM' });
  });

  it('[M3] [R5] in a "joined" room a new member gets the current session from the point they joined: before_join for earlier', async () => {
    const room = await alice.createRoom('later', { history: 'joined' });
    await alice.send(room.id, 'before bob');
    await alice.invite(room.id, 'bob');
    await alice.send(room.id, 'after bob');
    const history = await bob.history(room.id);
    expect(history.map((m) => [m.status, m.text])).toEqual([
      ['before_join', undefined],
      ['ok', 'after bob'],
    ]);
  });

  it('[R1] [M4] [M5] an honest server raises no integrity warning', async () => {
    await alice.connect();
    await alice.send('general', 'over the socket');
    await bob.history('general');
    expect(warnings).toEqual([]);
  });

  it('[K5] [K9] a password change re-wraps the keys and re-seals the vault: the new password opens both', async () => {
    const room = await alice.createRoom('before the change', { members: ['bob'] });
    await alice.send(room.id, 'read me on every device');
    expect((await bob.history(room.id)).map((m) => m.status)).toEqual(['ok']);
    await bob.disconnect(); // the session bob collected is in the vault
    await bob.changePassword(PASSWORD, 'a brand new passphrase');
    await expect(client(server.url).login('bob', PASSWORD)).rejects.toMatchObject({ code: 'WRONG_PASSWORD' });
    const again = client(server.url);
    await again.login('bob', 'a brand new passphrase');
    expect(again.user).toBe('bob');
    expect((await again.contact('bob')).fingerprint).toBe((await bob.contact('bob')).fingerprint);
    // The vault opens under the new password: a new device reads what bob could read before the change.
    expect((await again.history(room.id)).map((m) => [m.status, m.text])).toEqual([
      ['ok', 'read me on every device'],
    ]);
    await again.logout();
  });
});
