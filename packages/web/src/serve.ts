// Serves the production bundle on WEB_PORT next to the API, and forwards /api (HTTP and the WebSocket) to it so
// the page, its session cookie and its socket share one origin. Node side only; run with tsx.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Fastify from 'fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import httpProxy from '@fastify/http-proxy';

export const DEFAULT_DIST_DIR = resolve(import.meta.dirname, '..', 'dist');

export interface WebServerOptions {
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Interface to bind. Default 'localhost' (IPv4 and IPv6 loopback). */
  host?: string;
  /** Where the API listens, e.g. http://127.0.0.1:8000. */
  apiUrl: string;
  /** The Vite build to serve. Default packages/web/dist. */
  distDir?: string;
}

export interface WebServer {
  url: string;
  close(): Promise<void>;
}

/** No inline script, nothing from elsewhere, no framing [DESIGN §6 headers]. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

interface ForwardedFrom {
  ip: string;
  protocol: string;
  host: string;
}

function forwardedHeaders(request: ForwardedFrom): Record<string, string> {
  return {
    'x-forwarded-for': request.ip,
    'x-forwarded-proto': request.protocol,
    'x-forwarded-host': request.host,
  };
}

function sendIndex(request: FastifyRequest, reply: FastifyReply) {
  // Only page navigations fall back to the app; a missing script or an unknown /api path stays a 404.
  const wantsPage =
    (request.method === 'GET' || request.method === 'HEAD') &&
    !request.url.startsWith('/api') &&
    !/\.[a-z0-9]+$/i.test(request.url);
  if (!wantsPage) return reply.code(404).send({ error: { code: 'NOT_FOUND', message: 'Not found' } });
  return reply.header('cache-control', 'no-cache').sendFile('index.html');
}

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const distDir = options.distDir ?? DEFAULT_DIST_DIR;
  if (!existsSync(join(distDir, 'index.html'))) {
    throw new Error(`startWebServer: no build at ${distDir}; run \`npm run build -w @parley/web\` first`);
  }
  const app = Fastify({ logger: false });
  app.addHook('onSend', async (_request, reply) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
  });
  // http-proxy reads rewriteRequestHeaders from wsClientOptions although its types list only ws's own options.
  const wsClientOptions = {
    perMessageDeflate: false, // the API refuses compression (DESIGN §6); do not offer it upstream either
    // The API checks the browser's Origin at the upgrade (cross-site WebSocket hijacking): pass it on as is.
    rewriteRequestHeaders: (headers: Record<string, string>, request: FastifyRequest) => ({
      ...headers,
      ...forwardedHeaders(request),
      ...(request.headers.origin ? { origin: request.headers.origin } : {}),
      ...(request.headers.cookie ? { cookie: request.headers.cookie } : {}),
    }),
  };
  await app.register(httpProxy, {
    upstream: options.apiUrl,
    prefix: '/api',
    rewritePrefix: '/api',
    websocket: true,
    replyOptions: {
      rewriteRequestHeaders: (request, headers) => ({ ...headers, ...forwardedHeaders(request) }),
      // The API is down or restarting: a gateway error in the API's own error shape, so the client says so
      // in words and retries, instead of a bare 500.
      onError: (reply) => {
        void reply
          .code(502)
          .send({ error: { code: 'UNAVAILABLE', message: 'the Parley server is not reachable right now' } });
      },
    },
    wsClientOptions,
  });
  await app.register(fastifyStatic, {
    root: distDir,
    wildcard: false,
    index: false,
    setHeaders: (reply, path) => {
      const hashed = path.includes(`${join(distDir, 'assets')}`);
      reply.header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  app.get('/', (request, reply) => sendIndex(request, reply));
  app.setNotFoundHandler((request, reply) => sendIndex(request, reply));
  const address = await app.listen({ port: options.port, host: options.host ?? 'localhost' });
  const port = new URL(address).port;
  return { url: `http://localhost:${port}`, close: () => app.close() };
}
