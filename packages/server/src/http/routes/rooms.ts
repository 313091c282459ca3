// Rooms [R1] [R2]: list, public list, create, get with members, membership events, history by seq.
import type { FastifyInstance } from 'fastify';
import { createRoomRequest, memberEventRequest, roomId } from '@parley/protocol';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import type { Services } from '../../services.ts';
import { parse } from '../errors.ts';
import { caller, requireAuth } from '../auth.ts';

const roomParams = z.strictObject({ id: roomId });
const seqParam = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const historyQuery = z.strictObject({
  after: seqParam.optional(),
  before: seqParam.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export function roomRoutes(app: FastifyInstance, s: Services): void {
  const auth = { preHandler: requireAuth(s) };

  app.get('/api/rooms', auth, async (req) => ({ rooms: await s.store.roomsOf(caller(req).session.user) }));
  app.get('/api/rooms/public', auth, async (req) => ({
    rooms: await s.store.publicRooms(caller(req).session.user),
  }));

  app.post('/api/rooms', auth, async (req, reply) => {
    const body = parse(createRoomRequest, req.body);
    const room = await s.rooms.create(caller(req).session.user, body.create, body.invites ?? []);
    return reply.code(201).send({ room });
  });

  app.get('/api/rooms/:id', auth, async (req) => {
    const { id } = parse(roomParams, req.params, 'path');
    const user = caller(req).session.user;
    const room = await s.store.getRoom(id, user);
    if (!room) throw new AppError('NOT_FOUND', 'no such room');
    if (!room.role) throw new AppError('NOT_MEMBER', 'you are not a member of this room');
    return { room, members: await s.store.members(id) };
  });

  app.post('/api/rooms/:id/members', auth, async (req) => {
    const { id } = parse(roomParams, req.params, 'path');
    const { event } = parse(memberEventRequest, req.body);
    return { seq: await s.rooms.post(caller(req).session.user, id, event) };
  });

  app.get('/api/rooms/:id/events', auth, async (req) => {
    const { id } = parse(roomParams, req.params, 'path');
    const q = parse(historyQuery, req.query, 'query');
    const m = await s.store.membership(id, caller(req).session.user);
    // A former member reads up to the seq it left at.
    if (!m || (!m.role && m.leftSeq === null))
      throw new AppError('NOT_MEMBER', 'you are not a member of this room');
    const maxSeq = m.role ? undefined : (m.leftSeq ?? 0);
    const events = await s.store.readEvents(id, { ...q, ...(maxSeq === undefined ? {} : { maxSeq }) });
    const headSeq = maxSeq ?? (await s.store.headSeq(id));
    // [M5] Heads are signed coalesced; a reader gets one covering what it just read (when this process has it).
    if (events.length > 0) await s.heads.flush(id);
    // The head at (or else the first after) the page's last event, and the latest; a former member gets none
    // past its leave. The client links the page to that head by the chain (docs/protocol.md §5).
    const last = events.at(-1)?.seq;
    const heads = last === undefined ? [] : await s.store.readHeads(id, last, last);
    return { events, heads: heads.filter((h) => maxSeq === undefined || h.seq <= maxSeq), headSeq };
  });
}
