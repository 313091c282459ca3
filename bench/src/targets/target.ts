// The port every compared server implements for the load generator: start it, make rooms, open handshaken
// client sockets, and say how a frame is sent and recognised. The generator knows nothing else about a target.
import WebSocket from 'ws';

/** What a received frame is to the generator: a fan-out delivery, an ack of a send, or protocol upkeep. */
export type FrameKind = 'delivery' | 'ack' | 'other';

export interface Wire {
  /** The text a client writes to send one message whose envelope (JSON text) is `envelopeJson`. */
  encodeSend(envelopeJson: string): string;
  classify(data: Buffer): FrameKind;
}

/** One room as the target set it up: its id (Parley's envelopes name it) and who may connect to it. */
export interface RoomSpec {
  id: string;
  /** User id of member 0, the sender (its envelopes are sealed for it). */
  sender: string;
  /** Opaque per-member credential the target needs to connect member `i` (e.g. a Parley session token). */
  members: readonly string[];
  /** [M11] The seq of the room's latest membership change, which Parley envelopes name (the last invite). */
  memberSeq?: number;
}

export interface Target {
  readonly name: string;
  readonly pid: number;
  readonly wire: Wire;
  /** Sets up `count` rooms of `size` members each. */
  prepareRooms(count: number, size: number): Promise<RoomSpec[]>;
  /** Opens one client socket for `member` of `room`; resolves when the target has accepted it in the room. */
  connect(room: RoomSpec, member: number, localAddress?: string): Promise<WebSocket>;
  /** A full garbage collection in the server process (memory runs start it with the inspector). */
  collectGarbage(): Promise<void>;
  stop(): Promise<void>;
}

export interface TargetFactory {
  readonly name: string;
  start(o?: { inspect?: boolean }): Promise<Target>;
  /**
   * A server that already holds `count` rooms of `size` but has done no work in its current process (Parley
   * restarts on its data directory after registering), so idle memory is measured from a clean baseline.
   */
  startPrepared(count: number, size: number): Promise<{ target: Target; rooms: RoomSpec[] }>;
}

/** For servers whose rooms cost them nothing to prepare. */
export async function startThenPrepare(
  start: () => Promise<Target>,
  count: number,
  size: number,
): Promise<{ target: Target; rooms: RoomSpec[] }> {
  const target = await start();
  return { target, rooms: await target.prepareRooms(count, size) };
}

/** Opens a client socket with compression off; resolves on open, rejects on error or an HTTP refusal. */
export function openSocket(
  url: string,
  opts: { headers?: Record<string, string>; localAddress?: string; onCreate?: (ws: WebSocket) => void } = {},
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      perMessageDeflate: false,
      headers: opts.headers,
      localAddress: opts.localAddress,
    });
    // A server may speak first in the very packet that completes the upgrade: listen before 'open'.
    opts.onCreate?.(ws);
    ws.once('open', () => {
      ws.removeAllListeners('error');
      ws.on('error', () => undefined);
      resolve(ws);
    });
    ws.once('unexpected-response', (_req, res) =>
      reject(new Error(`upgrade refused: HTTP ${String(res.statusCode)}`)),
    );
    ws.once('error', reject);
  });
}

/** Resolves with the first frame that satisfies `match`, or rejects after `timeoutMs`. */
export function nextFrame(ws: WebSocket, match: (text: string) => boolean, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.off('message', onMessage);
      reject(new Error('timed out waiting for a frame'));
    }, timeoutMs);
    const onMessage = (data: Buffer) => {
      const text = data.toString();
      if (!match(text)) return;
      clearTimeout(timer);
      ws.off('message', onMessage);
      resolve(text);
    };
    ws.on('message', onMessage);
  });
}
