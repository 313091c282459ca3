// Sending a message: sealed by the room's outbound session, then one `send` frame when online (acked after
// the server's durable commit [D1]) or POST /api/chat when not. A steady-state send makes no other request.
import { chatResponse, type Envelope } from '@parley/protocol';
import type { Api } from './api.ts';
import type { Connection } from './connection.ts';
import { isParleyError } from './errors.ts';
import type { Outbound } from './outbound.ts';
import type { Rooms } from './rooms.ts';

export function messageSender(parts: { api: Api; connection: Connection; outbound: Outbound; rooms: Rooms }) {
  const { api, connection, outbound, rooms } = parts;

  async function deliver(envelope: Envelope): Promise<{ seq: number }> {
    if (connection.state === 'online') return { seq: (await connection.sendEnvelope(envelope)).seq };
    return { seq: (await api.post('/api/chat', { envelope }, chatResponse)).seq };
  }

  return async function send(room: string, text: string): Promise<{ seq: number }> {
    // A room id the last list gave needs no request; a name is looked up.
    const r = await rooms.resolveCached(room);
    const envelope = await outbound.prepare(r.id, text);
    try {
      return await deliver(envelope);
    } catch (e) {
      // [M11] The membership changed between this client's fold and the server's commit (a kick racing the
      // send): the server refused the message. Fold again (a removal starts a new session) and send it once
      // more, under the same counter.
      if (!isParleyError(e, 'MEMBERSHIP_CHANGED')) throw e;
      await outbound.unsent(r.id, envelope);
      return deliver(await outbound.prepare(r.id, text, { fresh: true }));
    }
  };
}
