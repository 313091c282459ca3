// What a user does to a room, by id or name: the client's membership methods. Each resolves the room, then
// signs the change (rooms.ts); an invite into a "shared history" room also hands the earlier messages on
// [R5], and leaving forgets the room's sessions.
import type { Ctx } from './context.ts';
import type { HistoryShares } from './history-shares.ts';
import type { Inbound } from './inbound.ts';
import { normalizeUser, type Rooms } from './rooms.ts';
import type { ParleyClient } from './types.ts';

type RoomActions = Pick<
  ParleyClient,
  'directMessage' | 'invite' | 'join' | 'leave' | 'kick' | 'promote' | 'members' | 'directPeer'
>;

export function roomActions(
  ctx: Ctx,
  parts: { rooms: Rooms; inbound: Inbound; historyShares: HistoryShares; online: ReadonlySet<string> },
): RoomActions {
  const { rooms, inbound, historyShares, online } = parts;
  // Asks the server for the room list: membership changes act on what the server says now.
  const resolveId = async (room: string) => (await rooms.resolve(room)).id;
  return {
    directMessage: async (user) => {
      const other = normalizeUser(user);
      return rooms.create([ctx.me().user, other].sort().join(' & '), { members: [other] });
    },
    invite: async (room, user) => {
      const roomId = await resolveId(room);
      const invitee = normalizeUser(user);
      await rooms.act(roomId, 'invite', invitee);
      // [R5] In a "shared history" room, the earlier messages become readable to the newcomer. The invite itself
      // is done: if handing on fails, the newcomer's key requests reach the senders instead.
      await historyShares.forward(roomId, invitee).catch(() => 0);
    },
    join: async (room) => rooms.act((await rooms.resolve(room, true)).id, 'join', ctx.me().user),
    leave: async (room) => {
      const roomId = await resolveId(room);
      await rooms.act(roomId, 'leave', ctx.me().user);
      await inbound.forgetRoom(roomId);
    },
    kick: async (room, user) => rooms.act(await resolveId(room), 'kick', normalizeUser(user)),
    promote: async (room, user) => rooms.act(await resolveId(room), 'promote', normalizeUser(user)),
    members: async (room) => rooms.members(await resolveId(room), online),
    directPeer: (room) => rooms.directPeer(room),
  };
}
