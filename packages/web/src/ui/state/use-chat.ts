// Wires the SDK's events into the chat reducer and exposes the few actions the screens need.
import { looksDirect } from '../chat/RoomList.tsx';
import { useCallback, useEffect, useMemo, useReducer, useRef } from 'react';
import type { ParleyClient } from '@parley/sdk';
import { chatReducer, initialChatState, timelineOf, TYPING_SHOWN_MS } from './chat-state.ts';
import type { ChatAction, ChatState } from './chat-state.ts';

export const HISTORY_PAGE = 50;
/** How long a sent message may take to come back over the socket before it is read from history instead. */
const ECHO_WAIT_MS = 3_000;

/** Whether the message at `seq` of `room` reaches the timeline (live) within `ms`. */
function arrives(client: ParleyClient, has: () => boolean, room: string, seq: number, ms: number) {
  return new Promise<boolean>((resolve) => {
    if (has()) return resolve(true);
    const timer = setTimeout(() => {
      off();
      resolve(has());
    }, ms);
    const off = client.on('message', (m) => {
      if (m.room !== room || m.seq !== seq) return;
      clearTimeout(timer);
      off();
      resolve(true);
    });
  });
}

export interface ChatActions {
  open(room: string): void;
  loadOlder(room: string): Promise<void>;
  send(room: string, text: string): Promise<void>;
  refreshRooms(): Promise<void>;
  /** Leaves the room for good (its messages are no longer shown here); the room list follows. */
  leave(room: string): Promise<void>;
  acceptKeys(user: string): void;
  dismissAlert(room: string, text: string): void;
}

const visible = () => typeof document === 'undefined' || document.visibilityState === 'visible';

function subscribe(client: ParleyClient, dispatch: (a: ChatAction) => void, refresh: () => void): () => void {
  const knownRooms = new Set<string>();
  const offs = [
    client.on('message', (message) => dispatch({ type: 'message', message, now: Date.now(), visible: visible() })),
    client.on('recovered', (message) => dispatch({ type: 'recovered', message })),
    // Its sender left before sending the key: the placeholder is replaced with one that says so.
    client.on('keyUnavailable', (message) => dispatch({ type: 'recovered', message })),
    client.on('member', (notice) => {
      dispatch({ type: 'member', notice });
      // An invite (or a room made for us by someone else) shows up in the room list at once.
      if (notice.target === client.user || !knownRooms.has(notice.room)) refresh();
      knownRooms.add(notice.room);
    }),
    client.on('presence', ({ user, online }) => dispatch({ type: 'presence', user, online })),
    client.on('typing', ({ room, user }) =>
      dispatch({ type: 'typing', room, user, until: Date.now() + TYPING_SHOWN_MS }),
    ),
    client.on('connection', (state) => dispatch({ type: 'connection', state })),
    client.on('keychange', ({ user }) => dispatch({ type: 'keychange', user })),
    client.on('integrity', (warning) => dispatch({ type: 'integrity', warning })),
  ];
  return () => offs.forEach((off) => off());
}

/** The open room, while the page is visible, is read up to its newest item: kept in the store across reloads. */
function useReadMarks(client: ParleyClient, state: ChatState): void {
  const room = state.active;
  const newest = room ? timelineOf(state, room).items.at(-1)?.seq : undefined;
  const seen = visible();
  useEffect(() => {
    if (room && newest !== undefined && seen) void client.markRead(room, newest).catch(() => undefined);
  }, [client, room, newest, seen]);
}

export function useChat(client: ParleyClient, onError: (e: unknown) => void): [ChatState, ChatActions] {
  const [state, dispatch] = useReducer(chatReducer, client.user ?? '', initialChatState);
  const stateRef = useRef(state);
  stateRef.current = state;

  const refreshRooms = useCallback(async () => {
    try {
      const rooms = await client.rooms();
      dispatch({ type: 'rooms', rooms });
      // [R4] A room is labelled as a direct message only when its verified membership says so.
      for (const r of rooms.filter((r) => !r.public && looksDirect(r.name))) {
        void client.directPeer(r.id).then((peer) => dispatch({ type: 'direct', room: r.id, peer }), onError);
      }
    } catch (e) {
      onError(e);
    }
  }, [client, onError]);

  useReadMarks(client, state);

  const loadOlder = useCallback(
    async (room: string) => {
      const timeline = timelineOf(stateRef.current, room);
      const before = timeline.loaded ? timeline.items[0]?.seq : undefined;
      try {
        const page = await client.historyPage(room, { limit: HISTORY_PAGE, ...(before ? { before } : {}) });
        dispatch({ type: 'history', room, page });
      } catch (e) {
        onError(e);
      }
    },
    [client, onError],
  );

  useEffect(() => {
    dispatch({ type: 'connection', state: client.connection });
    const off = subscribe(client, dispatch, () => void refreshRooms());
    // Rooms first (the message list waits on them), then the unread counts kept from before a reload.
    void refreshRooms().then(() =>
      client.unread().then((counts) => dispatch({ type: 'unread', counts }), onError),
    );
    client.connect().catch(onError);
    const timer = setInterval(() => dispatch({ type: 'expire', now: Date.now() }), 1_000);
    return () => {
      off();
      clearInterval(timer);
    };
  }, [client, onError, refreshRooms]);

  const actions = useMemo<ChatActions>(
    () => ({
      open(room) {
        dispatch({ type: 'open', room });
        if (!timelineOf(stateRef.current, room).loaded) void loadOlder(room);
      },
      loadOlder,
      async send(room, text) {
        const { seq } = await client.send(room, text);
        // The fan-out brings our own message back, normally just after the ack: a steady-state send costs no
        // HTTP request. Only if it has not come after a while (sent over HTTP while offline, a dropped frame)
        // is it read from history, in the background: the composer need not wait for that.
        const has = () => timelineOf(stateRef.current, room).items.some((i) => i.seq === seq);
        void arrives(client, has, room, seq, ECHO_WAIT_MS).then((arrived) => {
          if (arrived) return;
          client.history(room, { before: seq + 1, limit: 1 }).then((messages) => {
            for (const message of messages) dispatch({ type: 'recovered', message });
          }, onError);
        });
      },
      refreshRooms,
      async leave(room) {
        await client.leave(room);
        await refreshRooms();
      },
      acceptKeys: (user) => dispatch({ type: 'keyaccepted', user }),
      dismissAlert: (room, text) => dispatch({ type: 'dismissAlert', room, text }),
    }),
    [client, loadOlder, refreshRooms, onError],
  );
  return [state, actions];
}
