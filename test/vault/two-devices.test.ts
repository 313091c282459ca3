// [K9] Two devices of one account online at once: whichever collects a key share, and whichever sends, the
// other reads the message too, with no reload (a message shown as waiting is replaced as it is recovered).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '@parley/server';
import { createClient, MemoryKeyStore, type DecryptedMessage, type ParleyClient } from '@parley/sdk';
import { nodeWebSocket } from '@parley/sdk/node';

const PASSWORD = 'correct horse battery staple';
let server: Awaited<ReturnType<typeof startServer>>;
let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'parley-two-devices-'));
  server = await startServer({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' });
});
afterAll(async () => {
  await server?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const device = (): ParleyClient =>
  createClient({ server: server.url, store: new MemoryKeyStore(), webSocket: nodeWebSocket });

/** The texts a device has shown as readable in `room`, live or recovered in place. */
function readable(c: ParleyClient, room: string): Set<string> {
  const texts = new Set<string>();
  const take = (m: DecryptedMessage) => m.room === room && m.status === 'ok' && m.text && texts.add(m.text);
  c.on('message', take);
  c.on('recovered', take);
  return texts;
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('not in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('[K9] two devices of one account at once', () => {
  it("each reads bob's messages and the other device's own, live", async () => {
    const [bob, phone, laptop] = [device(), device(), device()];
    await bob.register('bob', PASSWORD);
    await phone.register('alice', PASSWORD);
    await laptop.login('alice', PASSWORD);
    const room = (await bob.createRoom('both', { members: ['alice'] })).id;
    await Promise.all([phone.connect(), laptop.connect()]);
    const [onPhone, onLaptop] = [readable(phone, room), readable(laptop, room)];
    const texts = ['from bob 1', 'from bob 2', 'from bob 3'];
    for (const t of texts) await bob.send(room, t);
    await bob.logout(); // bob is offline from here on: no key request can be answered
    await phone.send(room, 'from alice on her phone');
    await until(() => texts.every((t) => onPhone.has(t) && onLaptop.has(t)));
    await until(() => onLaptop.has('from alice on her phone'));
    // And read back from history on either device.
    for (const c of [phone, laptop]) {
      expect((await c.history(room)).map((m) => [m.status, m.text])).toEqual([
        ...texts.map((t) => ['ok', t]),
        ['ok', 'from alice on her phone'],
      ]);
    }
    await Promise.all([phone.logout(), laptop.logout()]);
  });
});
