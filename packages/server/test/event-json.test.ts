// The event frame built around the content's remembered JSON must be exactly JSON.stringify of the frame
// object, for any content, including strings that need escaping and rows read back from the store.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { RoomEvent } from '@parley/protocol';
import { contentJson } from '../src/storage/content-json.ts';
import { eventFrame } from '../src/realtime/frames.ts';
import { rowToEvent } from '../src/storage/event-rows.ts';

const text = fc.string({ unit: 'binary', maxLength: 40 });
const event = fc.record({
  room: text,
  seq: fc.nat(),
  ts: fc.nat(),
  kind: fc.constantFrom('message', 'member'),
  sender: text,
  content: fc.dictionary(text, fc.oneof(text, fc.nat(), fc.boolean(), fc.constant(null))),
  hash: text,
  chain: text,
}) as unknown as fc.Arbitrary<RoomEvent>;

describe('event JSON', () => {
  it('eventFrame equals JSON.stringify({ type: "event", event }) for any event', () => {
    fc.assert(
      fc.property(event, (e) => {
        expect(eventFrame(e)).toBe(JSON.stringify({ type: 'event', event: e }));
      }),
    );
  });

  it('a row read back frames as the event that was stored', () => {
    fc.assert(
      fc.property(event, (e) => {
        const row = { ...e, content: contentJson(e.content), client_msg_id: null, event_id: null };
        const read = rowToEvent(row);
        expect(read).toEqual(e);
        expect(eventFrame(read)).toBe(JSON.stringify({ type: 'event', event: e }));
      }),
    );
  });
});
