// GET /api/ and /api/health; GET /api/connect without an upgrade.
import type { FastifyInstance } from 'fastify';
import { PROTOCOL_VERSION } from '@parley/protocol';
import type { Services } from '../../services.ts';
import { sendError } from '../errors.ts';

export function metaRoutes(app: FastifyInstance, s: Services): void {
  app.get('/api/', () => ({
    name: 'parley',
    message: 'Welcome to Parley: end-to-end encrypted chat. The server relays and stores ciphertext only.',
    protocolVersion: PROTOCOL_VERSION,
    serverKey: { spki: s.serverKey.spki, fingerprint: s.serverKey.fingerprint },
  }));
  app.get('/api/health', () => ({ ok: true }));
  // Reached only when the request is not an upgrade: the gateway takes upgrades before routing.
  app.get('/api/connect', async (_req, reply) =>
    sendError(reply, 'BAD_REQUEST', 'GET /api/connect is a WebSocket upgrade'),
  );
}
