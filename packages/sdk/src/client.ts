// createClient(): wires the parts together and runs every live frame through one queue, in order (where each
// goes: frame-router.ts; each event: integrity -> membership fold -> decryption -> events, in live.ts). The
// client's methods are the parts' own, or small modules: room-actions.ts, message-send.ts.
import { Account } from './account.ts';
import { createApi } from './api.ts';
import { Connection, connectUrl } from './connection.ts';
import { SerialQueue, notLoggedIn, storeKey, type Ctx } from './context.ts';
import { Emitter } from './emitter.ts';
import { ParleyError } from './errors.ts';
import { Inbound } from './inbound.ts';
import { Integrity } from './integrity.ts';
import { KeyRequestAnswers } from './key-requests.ts';
import { HistoryShares } from './history-shares.ts';
import { frameRouter } from './frame-router.ts';
import { Live } from './live.ts';
import { messageSender } from './message-send.ts';
import { Outbound } from './outbound.ts';
import { Pins } from './pins.ts';
import { Rooms, normalizeUser } from './rooms.ts';
import { roomActions } from './room-actions.ts';
import { SignedInStore } from './signed-in-store.ts';
import { Timeline } from './timeline.ts';
import { Verifier } from './verifier.ts';
import { Vault } from './vault.ts';
import { vaultKinds } from './vault-kinds.ts';
import type { ClientOptions, ConnectionState, ParleyClient, WebSocketFactory } from './types.ts';

const browserWebSocket: WebSocketFactory = (url) => {
  const Ws = (globalThis as { WebSocket?: new (url: string) => unknown }).WebSocket;
  if (!Ws)
    throw new ParleyError('NOT_CONNECTED', 'no WebSocket here: pass options.webSocket (nodeWebSocket in Node)');
  return new Ws(url) as ReturnType<WebSocketFactory>;
};

export function createClient(options: ClientOptions): ParleyClient {
  const auth = options.auth ?? 'bearer';
  const api = createApi({
    server: options.server,
    auth,
    fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
  });
  const emitter = new Emitter();
  // Logout wipes it; work still under way after logout can no longer write to it (signed-in-store.ts).
  const store = new SignedInStore(options.store);
  const ctx: Ctx = {
    api,
    store,
    emit: emitter.emit,
    vault: { queueWrite: (id, value) => vault.queueWrite(id, value), flush: () => vault.flush() },
    me: () => account.me ?? throwNotLoggedIn(),
  };
  const pins = new Pins(ctx);
  const vault: Vault = new Vault(ctx, vaultKinds({ inbound: (): Inbound => inbound, pins }));
  const account = new Account(ctx, pins, vault);
  const headGraceMs = options.headGraceMs ?? 5000;
  // A fold waits for a head as long as the integrity checks do before they report one missing [R4] [M5].
  const rooms = new Rooms(ctx, pins, { retries: Math.ceil(headGraceMs / 250), retryMs: 250 });
  const outbound = new Outbound(ctx, pins, rooms);
  const keyRequests = new KeyRequestAnswers(ctx, outbound, () => vault.pull());
  const historyShares = new HistoryShares(ctx, pins, rooms, () => inbound.fetchShares());
  const integrity = new Integrity(ctx, pins, {
    headGraceMs,
  });
  const verifier = new Verifier();
  const inbound = new Inbound(ctx, {
    pins,
    rooms,
    verifier,
    requestKey: (room, sender, sessionId) => {
      if (sender === account.me?.user) return false;
      // [M2] Stored on the server until the sender's client answers it: over the socket when online, else HTTP.
      if (connection.send({ type: 'key_request', room, sender, sessionId })) return true;
      void api.send('POST', '/api/key-requests', { room, sender, sessionId }).catch(() => undefined);
      return true;
    },
    keysMissing: () => void vault.pull().catch(() => undefined),
  });
  const timeline = new Timeline(ctx, { rooms, integrity, inbound, verifier, pullVault: () => vault.pull() });
  const live = new Live(ctx, integrity, rooms, inbound);
  const online = new Set<string>();
  const frames = new SerialQueue();
  const handleFrame = frameRouter({ inbound, vault, keyRequests, live, integrity, emitter, online });
  let resumeFromNow = false;

  const connection = new Connection({
    url: connectUrl(api.server),
    factory: options.webSocket ?? browserWebSocket,
    headers: (): Record<string, string> =>
      auth === 'bearer' && api.session?.token ? { authorization: `Bearer ${api.session.token}` } : {},
    reconnectMinMs: options.reconnectMinMs ?? 500,
    reconnectMaxMs: options.reconnectMaxMs ?? 15_000,
    resume: () => resumeMap(),
    onFrame: (frame) => void frames.run(() => handleFrame(frame)).catch(() => undefined),
    onRefused: (raw) => void frames.run(() => Promise.resolve(live.refused(raw))),
    onState: (state: ConnectionState) => {
      if (state !== 'online') rooms.offline();
      emitter.emit('connection', state);
    },
  });

  async function resumeMap(): Promise<Record<string, number>> {
    if (resumeFromNow) {
      // Live from now on: every room at its head, nothing replayed.
      resumeFromNow = false;
      const map = Object.fromEntries((await rooms.list()).map((r) => [r.id, r.headSeq]));
      await store.set(storeKey.lastSeq, map);
    }
    return (await store.get<Record<string, number>>(storeKey.lastSeq)) ?? {};
  }

  /**
   * A sign-in as `user`: their partition of the store is used (logout closed it, or another user had it), and
   * once signed in, the checking worker starts loading while the first pages are fetched. A failed sign-in
   * leaves the previous user's partition open, untouched.
   */
  async function signedIn<T>(user: string, step: () => Promise<T>): Promise<T> {
    const previous = store.user;
    if (previous !== user) forgetUser();
    store.open(user);
    let result: T;
    try {
      result = await step();
    } catch (e) {
      if (previous === null) store.close();
      else store.open(previous);
      throw e;
    }
    if (account.me) {
      await store.remember();
      verifier.warm();
    }
    return result;
  }

  /** What the client holds in memory for the signed-in user: nothing of it may serve the next one. */
  function forgetUser(): void {
    inbound.forgetSessions();
    pins.forgetVerified();
    vault.forget();
    keyRequests.forget();
  }

  const client: ParleyClient = {
    get user() {
      return account.me?.user ?? null;
    },
    get connection() {
      return connection.state;
    },
    register: async (username, password, onProgress = () => undefined) => {
      await signedIn(normalizeUser(username), () => account.register(username, password, onProgress));
      onProgress('Joining general');
      const general = await rooms.general();
      if (general) await rooms.act(general.id, 'join', ctx.me().user);
    },
    login: (username, password, onProgress = () => undefined) =>
      signedIn(normalizeUser(username), () => account.login(username, password, onProgress)),
    resume: async () => {
      const user = await store.lastUser();
      return user ? signedIn(user, () => account.resume()) : false;
    },
    logout: async () => {
      // [K9] What only this device knows yet goes to the vault before the device forgets it.
      await vault.flush().catch(() => undefined);
      store.close();
      connection.stop();
      integrity.stop();
      verifier.stop();
      forgetUser();
      await account.logout();
    },
    changePassword: (current, next) => account.changePassword(current, next),
    rooms: () => rooms.list(),
    publicRooms: () => rooms.publicList(),
    resolveRoom: (idOrName) => rooms.resolve(idOrName, true),
    createRoom: (name, opts) => rooms.create(name, opts),
    ...roomActions(ctx, { rooms, inbound, historyShares, online }),
    send: messageSender({ api, connection, outbound, rooms }),
    history: async (room, opts) => (await timeline.page(room, opts)).messages,
    historyPage: (room, opts) => timeline.page(room, opts),
    markRead: (room, seq) => timeline.markRead(room, seq),
    unread: () => timeline.unread(),
    typing: (room) =>
      void rooms.resolveCached(room).then(
        (r) => connection.send({ type: 'typing', room: r.id }),
        () => undefined,
      ),
    connect: async (opts = {}) => {
      ctx.me();
      resumeFromNow = opts.fromNow ?? false;
      await connection.start();
    },
    disconnect: async () => {
      connection.stop();
      await vault.flush().catch(() => undefined);
    },
    answerKeyRequests: () => keyRequests.answerWaiting(),
    on: (event, listener) => emitter.on(event, listener),
    chainHead: async (room) => integrity.chainHead((await rooms.resolveCached(room)).id),
    compareHead: (head) => integrity.compareHead(head),
    contact: (user) => pins.contact(normalizeUser(user)),
    verify: (user, safetyNumber) => pins.verify(normalizeUser(user), safetyNumber),
  };
  return client;
}

function throwNotLoggedIn(): never {
  throw notLoggedIn();
}
