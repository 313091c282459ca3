// Everything about one history page that needs no client state [R1] [M4]: the answer parsed and validated,
// each event's hash and its link from the event before it in the page, and each message's signature input
// (the content's canonical bytes are built once for the hash and the signature). verifier.ts runs it in the
// signature worker, so the page's thread only keeps the books, ratchets and decrypts; where no worker runs it
// runs on the calling thread: one function, so one answer either way.
import { eventInputs, fromB64u, nextChain, parseWith, sha256, type RoomEvent } from '@parley/protocol';
import { eventsResponse, type EventsResponse } from '@parley/protocol';

/** A page's event hashes and in-page chain links, by index. */
export interface PageLinks {
  hashes: Uint8Array[];
  links: (Uint8Array | null)[];
}

/** What a message's sender signed, and the signature [M4]. */
export interface SignatureInput {
  signature: Uint8Array;
  data: Uint8Array;
}

/** What a page's events need checked, computed from the answer alone. */
export interface PageChecks {
  links: PageLinks;
  /** By event index: a message's signature input; null for a membership event. */
  signed: (SignatureInput | null)[];
}

export interface ReadPage extends PageChecks {
  answer: EventsResponse;
}

export type PageReadResult = { ok: true; page: ReadPage } | { ok: false; error: string };

/** Reads a history answer's text (GET /api/rooms/:id/events). Untrusted input: a bad answer is a result. */
export async function readPage(text: string): Promise<PageReadResult> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  const parsed = parseWith(eventsResponse, json);
  if (!parsed.ok) return parsed;
  const { events } = parsed.value;
  const inputs = events.map((ev) => eventInputs(ev));
  const hashes = await Promise.all(inputs.map((i) => sha256(i.hashed)));
  const links = await inPageLinks(events, hashes);
  // One buffer for all of the page's bytes: a worker's answer then carries one ArrayBuffer, not ~600.
  const bytes = new Bytes([...hashes, ...links, ...inputs.flatMap((i) => [i.signed, i.signature])]);
  const signed = events.map((ev, i) => {
    const input = inputs[i];
    return ev.kind === 'message' && input
      ? { signature: bytes.of(input.signature), data: bytes.of(input.signed) }
      : null;
  });
  const checks: PageChecks = {
    links: { hashes: hashes.map((h) => bytes.of(h)), links: links.map((l) => l && bytes.of(l)) },
    signed,
  };
  return { ok: true, page: { answer: parsed.value, ...checks } };
}

/** Byte arrays copied into one buffer; `of` gives an array's copy there (a view). */
class Bytes {
  private readonly at = new Map<Uint8Array, Uint8Array>();

  constructor(arrays: readonly (Uint8Array | null)[]) {
    const present = arrays.filter((a): a is Uint8Array => a !== null);
    const buffer = new Uint8Array(present.reduce((n, a) => n + a.length, 0));
    let offset = 0;
    for (const a of present) {
      buffer.set(a, offset);
      this.at.set(a, buffer.subarray(offset, (offset += a.length)));
    }
  }

  of(array: Uint8Array): Uint8Array {
    const view = this.at.get(array);
    if (!view) throw new RangeError('Bytes.of: an array that was not packed');
    return view;
  }
}

/**
 * Each event's link from the event before it in the page, computed from that event's claimed chain (the
 * caller uses it only when that chain is the one it remembers); null for the first event and after a gap.
 */
export function inPageLinks(
  events: readonly RoomEvent[],
  hashes: readonly Uint8Array[],
): Promise<(Uint8Array | null)[]> {
  return Promise.all(
    events.map(async (ev, i): Promise<Uint8Array | null> => {
      const before = events[i - 1];
      const hash = hashes[i];
      return before && hash && before.seq === ev.seq - 1 ? nextChain(fromB64u(before.chain), hash) : null;
    }),
  );
}
