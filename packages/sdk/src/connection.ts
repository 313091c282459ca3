// The live connection (docs/protocol.md §6): hello with the last seq per room [D3], reconnect with exponential
// back-off, pings, and sends that keep their clientMsgId across reconnects until the server acks them [D2].
import {
  PROTOCOL_VERSION,
  parseFrame,
  serverFrame,
  type ClientFrame,
  type Envelope,
  type ServerFrame,
} from '@parley/protocol';
import { ParleyError } from './errors.ts';
import type { ConnectionState, WebSocketFactory, WebSocketLike } from './types.ts';

export type Ack = Extract<ServerFrame, { type: 'ack' }>;

export interface ConnectionOptions {
  url: string;
  factory: WebSocketFactory;
  headers: () => Record<string, string>;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** Ping interval; a socket silent for two intervals is presumed dead. Default 25 000 ms. */
  pingIntervalMs?: number;
  resume: () => Promise<Record<string, number>>;
  onFrame: (frame: ServerFrame) => void;
  /** A JSON frame the protocol schema refused (parsed, unvalidated): it is never handled as a frame. */
  onRefused?: (raw: unknown) => void;
  onState: (state: ConnectionState) => void;
}

interface Pending {
  envelope: Envelope;
  resolve: (ack: Ack) => void;
  reject: (e: Error) => void;
}

const OPEN = 1;

/** http(s)://host/base -> ws(s)://host/base/api/connect */
export function connectUrl(server: string): string {
  return `${server.replace(/\/+$/, '').replace(/^http/, 'ws')}/api/connect`;
}

export class Connection {
  state: ConnectionState = 'offline';
  private socket: WebSocketLike | null = null;
  private readonly pending = new Map<string, Pending>();
  private attempt = 0;
  private stopped = true;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private pinger: ReturnType<typeof setInterval> | null = null;
  private lastHeard = 0;
  private firstReady: { resolve: () => void; reject: (e: Error) => void } | null = null;

  constructor(private readonly o: ConnectionOptions) {}

  /** Resolves at the first `ready`; rejects if the first attempt fails (and keeps retrying in the background). */
  start(): Promise<void> {
    if (!this.stopped) return Promise.resolve();
    this.stopped = false;
    return new Promise((resolve, reject) => {
      this.firstReady = { resolve, reject };
      this.open();
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.socket?.close(1000, 'bye');
    this.socket = null;
    this.stopPing();
    this.setState('offline');
    for (const [id, p] of this.pending) {
      p.reject(new ParleyError('NOT_CONNECTED', 'disconnected before the server acknowledged the message'));
      this.pending.delete(id);
    }
  }

  send(frame: ClientFrame): boolean {
    if (this.state !== 'online' || this.socket?.readyState !== OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  /** Sends now or after the next reconnect, as often as needed, with the same clientMsgId, until acked. */
  sendEnvelope(envelope: Envelope): Promise<Ack> {
    return new Promise((resolve, reject) => {
      this.pending.set(envelope.clientMsgId, { envelope, resolve, reject });
      this.send({ type: 'send', envelope });
    });
  }

  private open(): void {
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    let socket: WebSocketLike;
    try {
      socket = this.o.factory(this.o.url, this.o.headers());
    } catch (cause) {
      this.closed(null, cause);
      return;
    }
    this.socket = socket;
    socket.onopen = () => void this.hello(socket);
    socket.onmessage = (ev) => this.message(socket, ev.data);
    socket.onerror = () => undefined;
    socket.onclose = () => this.closed(socket);
  }

  private async hello(socket: WebSocketLike): Promise<void> {
    const resume = await this.o.resume().catch(() => ({}));
    if (socket !== this.socket || socket.readyState !== OPEN) return;
    socket.send(JSON.stringify({ type: 'hello', v: PROTOCOL_VERSION, resume } satisfies ClientFrame));
  }

  private message(socket: WebSocketLike, data: unknown): void {
    if (socket !== this.socket || typeof data !== 'string') return;
    this.lastHeard = Date.now();
    const parsed = parseFrame(serverFrame, data);
    if (!parsed.ok) return this.refused(data);
    const frame = parsed.value;
    if (frame.type === 'ready') this.ready();
    else if (frame.type === 'ack') this.acked(frame);
    else if (frame.type === 'error' && frame.ref && this.pending.has(frame.ref)) {
      this.pending.get(frame.ref)?.reject(new ParleyError(frame.code, frame.message));
      this.pending.delete(frame.ref);
    }
    this.o.onFrame(frame);
  }

  private refused(data: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(data);
    } catch {
      return;
    }
    this.o.onRefused?.(raw);
  }

  private ready(): void {
    this.attempt = 0;
    this.setState('online');
    this.startPing();
    for (const p of this.pending.values()) this.send({ type: 'send', envelope: p.envelope });
    this.firstReady?.resolve();
    this.firstReady = null;
  }

  private acked(ack: Ack): void {
    const p = this.pending.get(ack.clientMsgId);
    this.pending.delete(ack.clientMsgId);
    p?.resolve(ack);
  }

  private closed(socket: WebSocketLike | null, cause?: unknown): void {
    if (socket && socket !== this.socket) return;
    this.socket = null;
    this.stopPing();
    if (this.stopped) return;
    if (this.firstReady) {
      this.firstReady.reject(
        new ParleyError('UNREACHABLE', `cannot open the live connection to ${this.o.url}`, 0, { cause }),
      );
      this.firstReady = null;
    }
    this.setState('reconnecting');
    const delay = Math.min(this.o.reconnectMaxMs, this.o.reconnectMinMs * 2 ** this.attempt);
    this.attempt++;
    // Jitter keeps a restarted server from being hit by every client in the same millisecond.
    this.timer = setTimeout(() => this.open(), delay * (0.75 + Math.random() * 0.5));
  }

  private startPing(): void {
    const every = this.o.pingIntervalMs ?? 25_000;
    this.lastHeard = Date.now();
    this.pinger = setInterval(() => {
      if (Date.now() - this.lastHeard > 2 * every) this.socket?.close(4000, 'no answer to ping');
      else this.send({ type: 'ping' });
    }, every);
    unref(this.pinger);
  }

  private stopPing(): void {
    if (this.pinger) clearInterval(this.pinger);
    this.pinger = null;
  }

  private setState(state: ConnectionState): void {
    if (state === this.state) return;
    this.state = state;
    this.o.onState(state);
  }
}

/** Node: a ping timer must not keep a CLI alive. Browsers have no unref. */
function unref(timer: unknown): void {
  (timer as { unref?: () => void }).unref?.();
}
