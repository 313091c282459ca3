// Shapes of the API answers the protocol package has no schema for. Lenient objects: a newer server may add
// fields, and the SDK reads only what it knows.
import { z } from 'zod';
import { head, roomEvent, storedKeyShare, ts, seq } from '@parley/protocol';

export const roomSummary = z.object({
  id: z.string(),
  name: z.string(),
  public: z.boolean(),
  role: z.enum(['admin', 'member']).nullable().optional(),
  headSeq: z.number().int().min(0).optional(),
});
export const roomsAnswer = z.object({ rooms: z.array(roomSummary) });
export const createRoomAnswer = z.object({ room: roomSummary });
export const roomAnswer = z.object({
  room: roomSummary,
  members: z.array(z.object({ user: z.string(), role: z.enum(['admin', 'member']) })),
});
export const eventsAnswer = z.object({ events: z.array(roomEvent), heads: z.array(head), headSeq: seq });
export type EventsAnswer = z.infer<typeof eventsAnswer>;
export const sharesAnswer = z.object({ shares: z.array(storedKeyShare) });
export const userKeysAnswer = z.object({ user: z.string(), signing: z.string(), encryption: z.string() });
export const preloginAnswer = z.object({
  salt: z.string(),
  kdf: z.object({ name: z.literal('PBKDF2-SHA256'), iterations: z.number().int() }),
});
export const chatAnswer = z.object({ room: z.string(), seq, ts, chain: z.string() });
export const memberAnswer = z.object({ seq }).or(z.object({}));
export const meAnswer = z.object({ user: z.string() });
export const serverInfo = z.object({ serverKey: z.object({ spki: z.string(), fingerprint: z.string() }) });
export const anything = z.unknown();
