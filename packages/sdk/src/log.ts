// Reading a room log page by page (GET /api/rooms/:id/events), oldest first.
import type { RoomEvent } from '@parley/protocol';
import type { Api } from './api.ts';
import { eventsResponse, type EventsResponse } from '@parley/protocol';

export const PAGE_LIMIT = 200;

export type PagePosition = { after: number } | { before: number };

/** The path of one page of a room's log. */
export function pagePath(room: string, at: PagePosition, limit = PAGE_LIMIT): string {
  const where = 'after' in at ? `after=${at.after}` : `before=${at.before}`;
  return `/api/rooms/${encodeURIComponent(room)}/events?${where}&limit=${limit}`;
}

export function fetchPage(api: Api, room: string, at: PagePosition, limit = PAGE_LIMIT): Promise<EventsResponse> {
  return api.get(pagePath(room, at, limit), eventsResponse);
}

/** Every event after `after` up to the head, in order. */
export async function fetchAfter(api: Api, room: string, after: number): Promise<RoomEvent[]> {
  const out: RoomEvent[] = [];
  let at = after;
  for (;;) {
    const page = await fetchPage(api, room, { after: at });
    out.push(...page.events);
    const last = page.events.at(-1);
    if (!last || last.seq >= page.headSeq || last.seq <= at) return out;
    at = last.seq;
  }
}
