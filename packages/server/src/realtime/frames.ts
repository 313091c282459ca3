// The frames realtime writes to sockets, serialised once per event and spliced from the content's stored JSON.
import type { RoomEvent } from '@parley/protocol';
import { contentJson } from '../storage/content-json.ts';

/** `JSON.stringify({ type: 'event', event })`, with the content's JSON reused (event-json.test.ts). */
export function eventFrame(e: RoomEvent): string {
  return (
    `{"type":"event","event":{"room":${JSON.stringify(e.room)},"seq":${e.seq},"ts":${e.ts},` +
    `"kind":${JSON.stringify(e.kind)},"sender":${JSON.stringify(e.sender)},"content":${contentJson(e.content)},` +
    `"hash":${JSON.stringify(e.hash)},"chain":${JSON.stringify(e.chain)}}}`
  );
}
