// Issue 23, the history scenario through a real server: every message an account may read is shown as `ok`
// on every device of it, after logout and login, on new devices, with the senders offline; and verification
// follows the account [K9].
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '@parley/server';
import { historyScenario } from '../../bench/src/history-scenario.ts';

let server: Awaited<ReturnType<typeof startServer>>;
let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'parley-history-'));
  server = await startServer({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' });
});
afterAll(async () => {
  await server?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('[K9] history on every device of an account', () => {
  it('300 messages, logout and login, second and third devices, senders offline: none unreadable', async () => {
    const result = await historyScenario(server.url, { messages: 300 });
    console.log(JSON.stringify(result));
    expect(result.reads.map((r) => [r.device, r.entitled, r.unreadable])).toEqual([
      ['alice, after logout and login', 150, 0],
      ['bob, second device', 300, 0],
      ['alice, second device', 300, 0],
      ['alice, third device', 300, 0],
      ['bob, first device after login', 300, 0],
      ['carol, second device', 300, 0],
    ]);
    expect(result.verificationsLost).toBe(0);
    expect(result.vault.writeRequests).toBeGreaterThan(0);
  }, 300_000);
});
