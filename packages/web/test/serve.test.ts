// The web server on its own: security headers, SPA fallback, and /api reaching the API (HTTP and WebSocket).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer } from '@parley/server';
import { buildBundle } from '../src/build.ts';
import { CONTENT_SECURITY_POLICY, startWebServer } from '../src/serve.ts';
import type { WebServer } from '../src/serve.ts';

let dir: string;
let api: Awaited<ReturnType<typeof startServer>>;
let web: WebServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parley-serve-'));
  await buildBundle(join(dir, 'dist'));
  api = await startServer({ port: 0, host: '127.0.0.1', dataDir: join(dir, 'data'), logLevel: 'warn' });
  web = await startWebServer({ port: 0, apiUrl: api.url, distDir: join(dir, 'dist') });
}, 120_000);

afterAll(async () => {
  await web?.close();
  await api?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('startWebServer', () => {
  it('serves the app with a strict CSP: no inline script, no framing, nosniff, no referrer', async () => {
    const res = await fetch(web.url);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<div id="root">');
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/); // every script is a file
    const csp = res.headers.get('content-security-policy');
    expect(csp).toBe(CONTENT_SECURITY_POLICY);
    for (const directive of [
      "script-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ]) {
      expect(csp).toContain(directive);
    }
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('answers 502 UNAVAILABLE in the API error shape while the API is down', async () => {
    // Port 9 (discard) has no listener here: the proxy's connection is refused.
    const probe = await startWebServer({ port: 0, apiUrl: 'http://127.0.0.1:9', distDir: join(dir, 'dist') });
    try {
      const res = await fetch(`${probe.url}/api/health`);
      expect(res.status).toBe(502);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAVAILABLE');
    } finally {
      await probe.close();
    }
  });

  it('falls back to the app for page routes, but not for missing files or /api', async () => {
    const page = await fetch(`${web.url}/rooms/some-room`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect((await fetch(`${web.url}/assets/missing.js`)).status).toBe(404);
    const apiMissing = await fetch(`${web.url}/api/no-such-route`);
    expect(apiMissing.status).toBe(404);
    expect(apiMissing.headers.get('content-type')).toContain('application/json');
  });

  it('forwards /api to the API', async () => {
    const res = await fetch(`${web.url}/api/`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { protocolVersion: number };
    expect(body.protocolVersion).toBe(1);
  });

  it('forwards the WebSocket upgrade; one from a foreign Origin without a session never gets a live socket', async () => {
    const ws = new WebSocket(`${web.url.replace('http', 'ws')}/api/connect`, { origin: 'https://evil.example' });
    const outcome = await new Promise<string>((resolve) => {
      ws.on('message', () => resolve('message'));
      ws.on('close', (code) => resolve(`closed ${code}`));
      ws.on('unexpected-response', (_req, res) => resolve(`refused ${res.statusCode}`));
      ws.on('error', () => resolve('error'));
    });
    expect(outcome).not.toBe('message');
    ws.terminate();
  });
});
