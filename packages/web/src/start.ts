// `node --import tsx packages/web/src/start.ts`: the web client on WEB_PORT (5000), /api forwarded to the API.
// Environment: WEB_PORT (default 5000), WEB_HOST (default localhost), API_URL (default http://127.0.0.1:$PORT,
// PORT default 8000).
import { ensureBuilt } from './build.ts';
import { DEFAULT_DIST_DIR, startWebServer } from './serve.ts';

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65_535) {
    throw new Error(`${name} must be a port number (0–65535), got "${raw}"`);
  }
  return value;
}

const apiUrl = process.env.API_URL ?? `http://127.0.0.1:${port('PORT', 8000)}`;
if (await ensureBuilt(DEFAULT_DIST_DIR)) console.log('web: built the client bundle');
const server = await startWebServer({
  port: port('WEB_PORT', 5000),
  host: process.env.WEB_HOST ?? 'localhost',
  apiUrl,
});
console.log(`web: Parley is at ${server.url} (API ${apiUrl})`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void server.close().then(() => process.exit(0)));
}
