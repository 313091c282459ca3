// The chat screen's state as one pure reducer: SDK events in, a render-ready model out. Pure so that the rules
// (ordering by seq, no duplicates, unread counts, recovered messages replacing their placeholder) are tested
// without a browser.
import type {
  ConnectionState,
  DecryptedMessage,
  HistoryPage,
  IntegrityWarning,
  MembershipNotice,
  RoomSummary,
  UnreadCount,
} from '@parley/sdk';
import { addAlert, dismissAlert } from './integrity.ts';
import type { RoomAlerts } from './integrity.ts';

export type TimelineItem =
  | { kind: 'message'; seq: number; message: DecryptedMessage }
  | { kind: 'member'; seq: number; notice: MembershipNotice };

export interface RoomTimeline {
  items: TimelineItem[];
  /** false once a page back through history came back empty or reached seq 1. */
  hasMore: boolean;
  loaded: boolean;
}

export interface ChatState {
  me: string;
  rooms: RoomSummary[];
  active: string | null;
  timelines: Readonly<Record<string, RoomTimeline>>;
  unread: Readonly<Record<string, number>>;
  /** room → the seq up to which messages were counted into `unread` (a resumed replay is not counted twice). */
  countedUpTo: Readonly<Record<string, number>>;
  presence: Readonly<Record<string, boolean>>;
  /** room → user → time (ms) the typing indicator expires. */
  typing: Readonly<Record<string, Readonly<Record<string, number>>>>;
  connection: ConnectionState;
  keyChanges: readonly string[];
  /** room → the integrity warnings it shows, in words, until dismissed [R1] [M4] [M5] [D3]. */
  alerts: RoomAlerts;
  /** room → the other person, for the rooms that are direct messages by their verified membership [R4]. */
  direct: Readonly<Record<string, string>>;
}

export type ChatAction =
  | { type: 'rooms'; rooms: RoomSummary[] }
  | { type: 'direct'; room: string; peer: string | null }
  | { type: 'open'; room: string }
  | { type: 'message'; message: DecryptedMessage; now: number; visible: boolean }
  | { type: 'recovered'; message: DecryptedMessage }
  | { type: 'member'; notice: MembershipNotice }
  | { type: 'history'; room: string; page: HistoryPage }
  | { type: 'unread'; counts: Record<string, UnreadCount> }
  | { type: 'presence'; user: string; online: boolean }
  | { type: 'typing'; room: string; user: string; until: number }
  | { type: 'expire'; now: number }
  | { type: 'connection'; state: ConnectionState }
  | { type: 'keychange'; user: string }
  | { type: 'keyaccepted'; user: string }
  | { type: 'integrity'; warning: IntegrityWarning }
  | { type: 'dismissAlert'; room: string; text: string };

export const TYPING_SHOWN_MS = 5_000;

export function initialChatState(me: string): ChatState {
  return {
    me,
    rooms: [],
    active: null,
    timelines: {},
    unread: {},
    countedUpTo: {},
    presence: {},
    typing: {},
    connection: 'connecting',
    keyChanges: [],
    alerts: {},
    direct: {},
  };
}

const EMPTY: RoomTimeline = { items: [], hasMore: true, loaded: false };

export function timelineOf(state: ChatState, room: string): RoomTimeline {
  return state.timelines[room] ?? EMPTY;
}

/** Merges items into a timeline kept sorted by seq; an item with a seq already present replaces it. */
export function mergeItems(items: readonly TimelineItem[], incoming: readonly TimelineItem[]): TimelineItem[] {
  const bySeq = new Map<number, TimelineItem>();
  for (const item of items) bySeq.set(item.seq, item);
  for (const item of incoming) bySeq.set(item.seq, item);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

function withItems(state: ChatState, room: string, incoming: TimelineItem[], patch: Partial<RoomTimeline> = {}) {
  const current = timelineOf(state, room);
  const timeline = { ...current, ...patch, items: mergeItems(current.items, incoming) };
  return { ...state, timelines: { ...state.timelines, [room]: timeline } };
}

function messageItem(message: DecryptedMessage): TimelineItem {
  return { kind: 'message', seq: message.seq, message };
}

function onMessage(state: ChatState, action: Extract<ChatAction, { type: 'message' }>): ChatState {
  const { message } = action;
  const room = message.room;
  const known =
    timelineOf(state, room).items.some((i) => i.seq === message.seq) ||
    message.seq <= (state.countedUpTo[room] ?? 0);
  let next = withItems(state, room, [messageItem(message)]);
  const seen = action.visible && state.active === room;
  if (!known && !seen && message.sender !== state.me) {
    next = { ...next, unread: { ...next.unread, [room]: (next.unread[room] ?? 0) + 1 } };
  }
  if (message.seq > (state.countedUpTo[room] ?? 0))
    next = { ...next, countedUpTo: { ...next.countedUpTo, [room]: message.seq } };
  // Someone who sent a message has stopped typing it.
  const roomTyping = { ...next.typing[message.room] };
  delete roomTyping[message.sender];
  return { ...next, typing: { ...next.typing, [message.room]: roomTyping } };
}

function onHistory(state: ChatState, action: Extract<ChatAction, { type: 'history' }>): ChatState {
  const { page } = action;
  const items: TimelineItem[] = [
    ...page.messages.map(messageItem),
    ...page.notices.map((notice): TimelineItem => ({ kind: 'member', seq: notice.seq, notice })),
  ];
  return withItems(state, action.room, items, { hasMore: page.hasMore, loaded: true });
}

/** Counts from the read marks (after a reload): each room's count replaces what was counted up to `upTo`. */
function onUnread(state: ChatState, counts: Record<string, UnreadCount>): ChatState {
  const unread = { ...state.unread };
  const countedUpTo = { ...state.countedUpTo };
  for (const [room, c] of Object.entries(counts)) {
    if (c.upTo <= (countedUpTo[room] ?? 0)) continue; // live counting is already past this snapshot
    unread[room] = room === state.active ? 0 : c.count;
    countedUpTo[room] = c.upTo;
  }
  return { ...state, unread, countedUpTo };
}

function expireTyping(state: ChatState, now: number): ChatState {
  const typing: Record<string, Record<string, number>> = {};
  for (const [room, users] of Object.entries(state.typing)) {
    typing[room] = Object.fromEntries(Object.entries(users).filter(([, until]) => until > now));
  }
  return { ...state, typing };
}

export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  switch (action.type) {
    case 'rooms':
      // A room the user left or was removed from is no longer open: the screen goes back to "general".
      return {
        ...state,
        rooms: action.rooms,
        active: action.rooms.some((r) => r.id === state.active) ? state.active : null,
      };
    case 'direct': {
      const { [action.room]: _was, ...rest } = state.direct;
      return { ...state, direct: action.peer === null ? rest : { ...rest, [action.room]: action.peer } };
    }
    case 'open':
      return { ...state, active: action.room, unread: { ...state.unread, [action.room]: 0 } };
    case 'message':
      return onMessage(state, action);
    case 'recovered':
      return withItems(state, action.message.room, [messageItem(action.message)]);
    case 'member':
      return withItems(state, action.notice.room, [
        { kind: 'member', seq: action.notice.seq, notice: action.notice },
      ]);
    case 'history':
      return onHistory(state, action);
    case 'unread':
      return onUnread(state, action.counts);
    case 'presence':
      return { ...state, presence: { ...state.presence, [action.user]: action.online } };
    case 'typing': {
      if (action.user === state.me) return state;
      const room = { ...state.typing[action.room], [action.user]: action.until };
      return { ...state, typing: { ...state.typing, [action.room]: room } };
    }
    case 'expire':
      return expireTyping(state, action.now);
    case 'connection':
      return { ...state, connection: action.state };
    case 'keychange':
      if (state.keyChanges.includes(action.user)) return state;
      return { ...state, keyChanges: [...state.keyChanges, action.user] };
    case 'keyaccepted':
      return { ...state, keyChanges: state.keyChanges.filter((u) => u !== action.user) };
    case 'integrity':
      return { ...state, alerts: addAlert(state.alerts, action.warning) };
    case 'dismissAlert':
      return { ...state, alerts: dismissAlert(state.alerts, action.room, action.text) };
  }
}

/** Who is typing in a room right now, oldest first, without the current user. */
export function typingUsers(state: ChatState, room: string, now: number): string[] {
  const users = state.typing[room] ?? {};
  return Object.entries(users)
    .filter(([user, until]) => until > now && user !== state.me)
    .map(([user]) => user);
}
