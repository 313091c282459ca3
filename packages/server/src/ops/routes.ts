// Operations endpoints, outside /api: /healthz (the process answers), /readyz (the store and the bus
// answer, and the server is not draining: a load balancer stops sending here), /metrics (Prometheus).
// None of them says anything about users or rooms.
import type { FastifyInstance } from 'fastify';
import type { Bus } from '../bus/bus.ts';
import type { Store } from '../storage/store.ts';
import type { Metrics } from './metrics.ts';

const CHECK_TIMEOUT_MS = 2000;

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function check(name: string, probe: () => Promise<void>): Promise<[string, string]> {
  try {
    await within(probe(), CHECK_TIMEOUT_MS);
    return [name, 'ok'];
  } catch (err) {
    return [name, err instanceof Error ? err.message : 'failed'];
  }
}

export function opsRoutes(
  app: FastifyInstance,
  deps: { store: Store; bus: Bus; metrics: Metrics; draining: () => boolean },
): void {
  app.get('/healthz', () => ({ ok: true }));
  app.get('/readyz', async (_req, reply) => {
    const checks = Object.fromEntries(
      await Promise.all([check('store', () => deps.store.ping()), check('bus', () => deps.bus.ping())]),
    );
    if (deps.draining()) checks.server = 'draining';
    const ok = Object.values(checks).every((v) => v === 'ok');
    return reply.code(ok ? 200 : 503).send({ ok, checks });
  });
  app.get('/metrics', async (_req, reply) => {
    const body = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(body);
  });
}
