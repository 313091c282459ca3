// The signed-in user: logout, me, sessions (list, revoke), password change [K5], public keys of users.
import type { FastifyInstance } from 'fastify';
import { fromB64u, id16, passwordChangeRequest, userId } from '@parley/protocol';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import type { Services } from '../../services.ts';
import { hashAuthKey, verifyAuthKey } from '../../security/passwords.ts';
import { parse } from '../errors.ts';
import { vaultRefused } from './vault.ts';
import { caller, clearSessionCookie, requireAuth } from '../auth.ts';

const CLOSE_SESSION_ENDED = 1008;

function closeSessions(s: Services, user: string, sessionIds: readonly string[], reason: string): void {
  if (sessionIds.length > 0)
    s.bus.publish(`user:${user}`, { kind: 'close', sessionIds, code: CLOSE_SESSION_ENDED, reason });
}

/** Room for every vault record (about 200 bytes each, sealed) beside the re-wrapped keys. */
const PASSWORD_CHANGE_BODY_LIMIT = 8 * 1024 * 1024;

export function sessionRoutes(app: FastifyInstance, s: Services): void {
  const auth = { preHandler: requireAuth(s) };

  app.post('/api/logout', auth, async (req, reply) => {
    const { session } = caller(req);
    await s.store.deleteSession(session.id);
    closeSessions(s, session.user, [session.id], 'logged out');
    clearSessionCookie(reply);
    return reply.code(204).send();
  });

  app.get('/api/me', auth, (req) => {
    const { session } = caller(req);
    const { id, createdAt, lastSeenAt, csrfToken } = session;
    return { user: session.user, session: { id, createdAt, lastSeenAt, csrfToken }, csrfToken };
  });

  app.get('/api/sessions', auth, async (req) => {
    const { session } = caller(req);
    const all = await s.store.listSessions(session.user);
    return {
      sessions: all.map((x) => ({
        id: x.id,
        createdAt: x.createdAt,
        lastSeenAt: x.lastSeenAt,
        current: x.id === session.id,
      })),
    };
  });

  app.delete('/api/sessions/:id', auth, async (req, reply) => {
    const { session } = caller(req);
    const { id } = parse(z.strictObject({ id: id16 }), req.params, 'path');
    const mine = await s.store.listSessions(session.user);
    if (!mine.some((x) => x.id === id)) throw new AppError('NOT_FOUND', 'no such session');
    await s.store.deleteSession(id);
    closeSessions(s, session.user, [id], 'session revoked');
    return reply.code(204).send();
  });

  // A password change carries the whole vault, sealed again [K9]: up to MAX_VAULT_RECORDS records.
  app.post('/api/password', { ...auth, bodyLimit: PASSWORD_CHANGE_BODY_LIMIT }, async (req, reply) => {
    const { session } = caller(req);
    const body = parse(passwordChangeRequest, req.body);
    const user = await s.store.getUser(session.user);
    if (!user || !(await verifyAuthKey(fromB64u(body.authKey), user.authHash))) {
      throw new AppError('BAD_CREDENTIALS', 'the current password is wrong');
    }
    if (
      body.keys.signing.public !== user.keys.signing.public ||
      body.keys.encryption.public !== user.keys.encryption.public
    ) {
      throw new AppError('BAD_REQUEST', 'a password change re-wraps the same keys; public keys cannot change');
    }
    const authHash = await hashAuthKey(fromB64u(body.newAuthKey));
    const changed = await s.store.changePassword(
      { user: user.id, salt: body.salt, kdf: body.kdf, authHash, keys: body.keys },
      session.id,
      body.vault ?? [],
    );
    if ('refused' in changed) throw vaultRefused(changed);
    closeSessions(s, user.id, changed.sessionsEnded, 'password changed');
    return reply.code(204).send();
  });

  app.get('/api/users/:id/keys', auth, async (req) => {
    const { id } = parse(z.strictObject({ id: userId }), req.params, 'path');
    const user = await s.store.getUser(id);
    if (!user) throw new AppError('NOT_FOUND', `no user ${id}`);
    return { user: user.id, signing: user.keys.signing.public, encryption: user.keys.encryption.public };
  });
}
