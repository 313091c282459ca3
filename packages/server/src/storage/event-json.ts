// An event's JSON, serialised once. The content (a ~1.4 KB envelope for a 512 B message) is stringified for
// its row when the event is committed, and that same text is spliced into the `event` frame every socket
// gets and into replays read back from the store, instead of stringifying the object again each time.
import type { RoomEvent } from '@parley/protocol';

const texts = new WeakMap<object, string>();

/** The JSON text of an event's content, remembered for the content object. */
export function contentJson(content: object): string {
  let text = texts.get(content);
  if (text === undefined) texts.set(content, (text = JSON.stringify(content)));
  return text;
}

/** Records `text` as the JSON of `content` (a row read back: its stored text is that content's JSON). */
export function rememberContentJson(content: object, text: string): void {
  texts.set(content, text);
}

/** `JSON.stringify({ type: 'event', event })`, with the content's JSON reused (event-json.test.ts). */
export function eventFrame(e: RoomEvent): string {
  return (
    `{"type":"event","event":{"room":${JSON.stringify(e.room)},"seq":${e.seq},"ts":${e.ts},` +
    `"kind":${JSON.stringify(e.kind)},"sender":${JSON.stringify(e.sender)},"content":${contentJson(e.content)},` +
    `"hash":${JSON.stringify(e.hash)},"chain":${JSON.stringify(e.chain)}}}`
  );
}
