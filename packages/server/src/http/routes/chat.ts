// POST /api/chat [D1] [D2], key shares and key requests [M2], POST /api/disconnect.
import type { FastifyInstance } from 'fastify';
import {
  chatRequest,
  keyRequestBody,
  keyRequestsAckRequest,
  roomId,
  sharesAckRequest,
  sharesRequest,
} from '@parley/protocol';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import type { Services } from '../../services.ts';
import { parse } from '../errors.ts';
import { caller, requireAuth } from '../auth.ts';
import { MAX_PENDING_SHARES, SHARE_TTL_MS } from '../../rooms/key-requests.ts';

const SHARES_FRAME = JSON.stringify({ type: 'shares' });

export function chatRoutes(app: FastifyInstance, s: Services): void {
  const auth = { preHandler: requireAuth(s) };

  app.post('/api/chat', auth, async (req) => {
    const user = caller(req).session.user;
    const { envelope } = parse(chatRequest, req.body);
    const wait = s.limits.send.take(user);
    if (wait > 0)
      throw new AppError('RATE_LIMITED', `too many messages; retry in ${wait} s`, { retryAfterSec: wait });
    // Answers only after the group commit that holds it is durable; a resend returns the original.
    const [event] = await s.sequencer.submit({ kind: 'message', sender: user, envelope });
    if (!event) throw new AppError('INTERNAL', 'no event committed');
    return { room: event.room, seq: event.seq, ts: event.ts, chain: event.chain };
  });

  app.post('/api/rooms/:id/shares', auth, async (req, reply) => {
    const user = caller(req).session.user;
    const { id } = parse(z.strictObject({ id: roomId }), req.params, 'path');
    const { shares } = parse(sharesRequest, req.body);
    const members = new Set((await s.store.members(id)).map((m) => m.user));
    if (!members.has(user)) throw new AppError('NOT_MEMBER', 'you are not a member of this room');
    const recipients = [...new Set(shares.map((x) => x.recipient))];
    const outsider = recipients.find((r) => !members.has(r));
    if (outsider !== undefined) throw new AppError('NOT_MEMBER', `${outsider} is not a member of this room`);
    const skipped = new Set(await s.store.insertShares(id, user, shares, { maxPending: MAX_PENDING_SHARES }));
    for (const r of recipients)
      if (!skipped.has(r)) s.bus.publish(`user:${r}`, { kind: 'frame', frame: SHARES_FRAME });
    return reply.code(204).send();
  });

  app.get('/api/shares', auth, async (req) => ({
    shares: await s.store.sharesFor(caller(req).session.user, Date.now() - SHARE_TTL_MS),
  }));

  app.post('/api/shares/ack', auth, async (req, reply) => {
    const { ids } = parse(sharesAckRequest, req.body);
    await s.store.deleteShares(caller(req).session.user, ids);
    return reply.code(204).send();
  });

  app.post('/api/key-requests', auth, async (req, reply) => {
    await s.keyRequests.ask(caller(req).session.user, parse(keyRequestBody, req.body));
    return reply.code(202).send();
  });

  app.get('/api/key-requests', auth, async (req) => ({
    requests: (await s.keyRequests.waiting(caller(req).session.user)).map((r) => ({
      id: r.id,
      room: r.room,
      from: r.requester,
      sessionId: r.sessionId,
    })),
  }));

  app.post('/api/key-requests/ack', auth, async (req, reply) => {
    const { ids } = parse(keyRequestsAckRequest, req.body);
    await s.keyRequests.done(caller(req).session.user, ids);
    return reply.code(204).send();
  });

  app.post('/api/disconnect', auth, async (req, reply) => {
    const user = caller(req).session.user;
    s.bus.publish(`user:${user}`, { kind: 'close', code: 1000, reason: 'disconnected' });
    return reply.code(204).send();
  });
}
