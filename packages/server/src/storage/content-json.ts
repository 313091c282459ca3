// An event's content JSON, serialised once. The content (a ~1.4 KB envelope for a 512 B message) is stringified
// for its row when the event is committed, and that same text is spliced into the `event` frame every socket
// gets (realtime/frames.ts) and into replays read back from the store, instead of stringifying it again.

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
