// `npm run bench:history`: issue 23's history scenario on a fresh server (300 messages by default, HISTORY_MESSAGES
// to change it): per device, the messages its account was entitled to read and how many it could not, and what
// the account vault cost in writes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '@parley/server';
import { historyScenario } from './history-scenario.ts';

const dataDir = await mkdtemp(join(tmpdir(), 'parley-history-'));
const server = await startServer({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' });
try {
  const result = await historyScenario(server.url, { messages: Number(process.env.HISTORY_MESSAGES ?? 300) });
  for (const r of result.reads) console.log(`${r.device.padEnd(32)} ${r.unreadable} of ${r.entitled} unreadable`);
  console.log(`unreadable in all: ${result.unreadable}; verified flags lost: ${result.verificationsLost}`);
  const v = result.vault;
  console.log(`vault: ${v.writeRequests} write requests, ${v.records} records, ${v.bytes} bytes sent`);
  if (process.argv.includes('--json')) console.log(JSON.stringify(result));
} finally {
  await server.close();
  await rm(dataDir, { recursive: true, force: true });
}
