// buildApp(deps): the Fastify instance with every route and the WebSocket gateway attached. Never listens
// (STYLE 8): tests use app.inject() or listen on port 0 themselves.
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import type { Config } from './config.ts';
import type { Bus } from './bus/bus.ts';
import type { Store } from './storage/store.ts';
import type { ServerKey } from './security/server-key.ts';
import type { Services } from './services.ts';
import { Sessions } from './security/sessions.ts';
import { RateLimiter } from './security/rate-limit.ts';
import { KeyRequests } from './rooms/key-requests.ts';
import { Hub, type Peer } from './realtime/hub.ts';
import { Sequencer } from './realtime/sequencer.ts';
import { HeadSigner } from './realtime/head-signer.ts';
import { Gateway } from './realtime/gateway.ts';
import { RoomService, ensureGeneralRoom } from './rooms/room-service.ts';
import { installErrorHandlers, sendError } from './http/errors.ts';
import { installCors, installJsonParser, installSecurityHeaders, setSecurityHeaders } from './http/hooks.ts';
import { metaRoutes } from './http/routes/meta.ts';
import { accountRoutes } from './http/routes/account.ts';
import { sessionRoutes } from './http/routes/session.ts';
import { roomRoutes } from './http/routes/rooms.ts';
import { chatRoutes } from './http/routes/chat.ts';
import { vaultRoutes } from './http/routes/vault.ts';
import { createMetrics } from './ops/metrics.ts';
import { opsRoutes } from './ops/routes.ts';

export interface AppDeps {
  config: Config;
  store: Store;
  bus: Bus;
  serverKey: ServerKey;
  /** 32 bytes from DATA_DIR/server-secret: keys the prelogin fake salts [K3]. */
  serverSecret: Uint8Array;
}

function logger(config: Config) {
  return {
    level: config.logLevel,
    // Headers are not logged by default; if a serializer ever adds them, credentials stay out. Never bodies.
    redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
  };
}

/** TLS_CERT / TLS_KEY when set; otherwise plain HTTP, typically behind a proxy (TRUST_PROXY). */
function fastifyOptions(config: Config) {
  return {
    logger: logger(config),
    bodyLimit: config.bodyLimitBytes,
    // Router errors (a malformed or over-long URL) answer from the error table with the usual headers, instead
    // of Fastify's own body that echoes the URL.
    frameworkErrors: (_err: unknown, req: FastifyRequest, reply: FastifyReply) => {
      setSecurityHeaders(req, reply);
      return sendError(reply, 'BAD_REQUEST', 'the URL is malformed or too long');
    },
    // A hop count means "trust the n closest proxies": proxy-addr's function form says exactly that.
    trustProxy:
      typeof config.trustProxy === 'number'
        ? (_address: string, hop: number) => hop < (config.trustProxy as number)
        : (config.trustProxy as boolean | string[]),
    ...(config.tls && {
      https: { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) },
    }),
  };
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, serverKey } = deps;
  const connections = new Set<Peer>();
  // Metrics wrap the store and the bus once here; nothing below knows they are measured.
  const metrics = createMetrics(() => connections.size);
  const store = metrics.instrumentStore(deps.store);
  const bus = metrics.instrumentBus(deps.bus);
  // The https overload types the instance for https.Server; routes and the gateway only use the shared API.
  const app = Fastify(fastifyOptions(config)) as unknown as FastifyInstance;
  const heads = new HeadSigner({ store, bus, serverKey, log: app.log, config: config.headSigning });
  const sequencer = new Sequencer({ store, bus, heads, log: app.log });
  const hub = new Hub(bus, store, app.log);
  const limit = (l: Config['rateLimits']['login']) => new RateLimiter(l);
  const services: Services = {
    ...deps,
    store,
    bus,
    sessions: new Sessions(store, { idleMs: config.sessionIdleMs, absoluteMs: config.sessionAbsoluteMs }),
    hub,
    sequencer,
    heads,
    rooms: new RoomService(store, sequencer),
    keyRequests: new KeyRequests({ store, bus, limiter: limit(config.rateLimits.keyRequests) }),
    limits: {
      prelogin: limit(config.rateLimits.prelogin),
      login: limit(config.rateLimits.login),
      register: limit(config.rateLimits.register),
      send: limit(config.rateLimits.send),
    },
  };
  const realtime = {
    config,
    store,
    bus,
    hub,
    sequencer,
    heads,
    sendLimiter: services.limits.send,
    keyRequests: services.keyRequests,
    log: app.log,
    connections,
    deliveries: metrics.deliveries,
  };
  const gateway = new Gateway(realtime, services.sessions);
  gateway.attach(app.server);

  await app.register(cookie);
  app.decorateRequest('auth', null);
  installJsonParser(app);
  installSecurityHeaders(app);
  installCors(app, config.allowedOrigins);
  installErrorHandlers(app);
  for (const routes of [metaRoutes, accountRoutes, sessionRoutes, roomRoutes, chatRoutes, vaultRoutes])
    routes(app, services);
  let draining = false;
  opsRoutes(app, { store, bus, metrics, draining: () => draining });

  // [D5] Stop accepting sockets, commit and ack everything already taken, then close sockets with 1001.
  app.addHook('preClose', async () => {
    draining = true;
    await sequencer.drain();
    gateway.closeAll();
  });
  await ensureGeneralRoom({ store, sequencer, serverKey, serverSecret: deps.serverSecret });
  return app;
}
