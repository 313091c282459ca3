// One WebSocket session: hello -> ready -> replay [D3] -> live. Bad frames get an `error` frame; protocol
// violations close the socket. Writes go through one place that enforces the send-buffer bound [D4].
import type { Duplex } from 'node:stream';
import type { WebSocket, RawData } from 'ws';
import { clientFrame, parseWith, type ClientFrame, type ServerFrame } from '@parley/protocol';
import { AppError, WS_CLOSE, toPublicError } from '../errors.ts';
import type { Peer } from './hub.ts';
import type { RealtimeDeps } from './deps.ts';
import { replay, replayRoom } from './replay.ts';
import { RateLimiter } from '../security/rate-limit.ts';
import { SharedRun, textFrame, type SharedFrame } from './shared-frame.ts';
import { Outbox } from './outbox.ts';

interface Buffered {
  frame: SharedFrame;
  room: string | undefined;
  seq: number | undefined;
}

export class Connection implements Peer {
  /** Highest seq written per room: live copies at or below it are duplicates [D3]. */
  private readonly lastSeq = new Map<string, number>();
  /** Live frames that arrive while the replay runs, written after it. */
  private pending: Buffered[] | null = null;
  private hello = false;
  private closed = false;
  private readonly frames: RateLimiter;
  private readonly outbox: Outbox;

  /** `socket` is the one the upgrade handed to ws: the connection writes its frames there (outbox.ts). */
  constructor(
    private readonly ws: WebSocket,
    socket: Duplex,
    readonly user: string,
    readonly sessionId: string,
    private readonly deps: RealtimeDeps,
  ) {
    this.frames = new RateLimiter(deps.config.rateLimits.frames);
    this.outbox = new Outbox(socket);
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('close', () => this.onClose());
    ws.on('error', (err) => deps.log.debug({ err }, 'websocket error'));
  }

  deliver(frame: SharedFrame, room?: string, seq?: number): void {
    if (this.pending) {
      this.pending.push({ frame, room, seq });
      return;
    }
    if (room !== undefined && seq !== undefined) {
      const last = this.lastSeq.get(room);
      if (last !== undefined && seq <= last) return;
      if (last !== undefined && seq > last + 1) return this.fill(room, last, { frame, room, seq });
      this.lastSeq.set(room, seq);
    }
    this.write(frame);
  }

  deliverRun(run: SharedRun): void {
    const last = this.lastSeq.get(run.room);
    // The usual case, a live socket that saw everything before the run: all of it in one write.
    if (!this.pending && (last === undefined || last === run.seq - 1)) {
      this.lastSeq.set(run.room, run.lastSeq);
      this.write(run);
      return;
    }
    for (const [i, frame] of run.frames.entries()) this.deliver(frame, run.room, run.seq + i);
  }

  /**
   * [D6] With several processes, events committed by two of them can cross on the bus, and the bus may drop
   * one. A live event past a gap is held (with everything after it) while the store, the source of truth,
   * fills the gap in order; the held copies at or below the new seq are then skipped as duplicates.
   */
  private fill(room: string, last: number, live: Buffered): void {
    this.pending = [live];
    replayRoom(this, room, last, this.deps)
      .catch((err: unknown) => {
        this.deps.log.error({ err }, 'gap fill failed');
        this.send({ type: 'gap', room, from: last + 1, to: live.seq! - 1 });
        this.wrote(room, live.seq! - 1);
      })
      .finally(() => {
        const held = this.pending ?? [];
        this.pending = null;
        for (const b of held) this.deliver(b.frame, b.room, b.seq);
      });
  }

  /** Marks a replayed event as written. */
  wrote(room: string, seq: number): void {
    this.lastSeq.set(room, Math.max(seq, this.lastSeq.get(room) ?? 0));
  }

  send(frame: ServerFrame): void {
    this.write(JSON.stringify(frame));
  }

  /** A SharedFrame or SharedRun was framed once for all the sockets of its room (hub.ts). */
  write(frame: string | SharedFrame | SharedRun): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    if (this.outbox.buffered > this.deps.config.maxBufferedBytes) {
      // [D4] A reader that stopped costs at most maxBufferedBytes; its close frame may never drain, so go.
      this.close(WS_CLOSE.BACKPRESSURE!, 'send buffer full');
      setTimeout(() => this.ws.terminate(), 1000).unref();
      return;
    }
    this.outbox.push(typeof frame === 'string' ? textFrame(Buffer.from(frame)) : frame.bytes);
    this.deps.deliveries.inc(frame instanceof SharedRun ? frame.frames.length : 1);
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.deps.hub.unregister(this);
    // What was written before the close goes before the close frame.
    this.outbox.flush();
    this.ws.close(code, reason);
  }

  private onClose(): void {
    this.closed = true;
    this.deps.hub.unregister(this);
    this.deps.connections.delete(this);
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.frames.take(this.sessionId) > 0) return this.close(WS_CLOSE.FLOOD!, 'frame rate limit exceeded');
    if (isBinary) return this.close(WS_CLOSE.BAD_FRAME!, 'frames are JSON text');
    let json: unknown;
    try {
      json = JSON.parse(
        Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8'),
      );
    } catch {
      return this.close(WS_CLOSE.BAD_FRAME!, 'frame is not JSON');
    }
    const parsed = parseWith(clientFrame, json);
    if (!parsed.ok) return this.send({ type: 'error', code: 'BAD_REQUEST', message: parsed.error });
    this.handle(parsed.value).catch((err: unknown) => this.fail(err, refOf(parsed.value)));
  }

  private fail(err: unknown, ref: string | undefined): void {
    const e = toPublicError(err);
    if (e.code === 'INTERNAL') this.deps.log.error({ err }, 'websocket frame failed');
    const close = WS_CLOSE[e.code];
    if (close !== null) return this.close(close, e.message);
    this.send({ type: 'error', code: e.code, message: e.message, ...(ref ? { ref } : {}) });
  }

  private async handle(f: ClientFrame): Promise<void> {
    if (f.type === 'ping') return this.send(f.n === undefined ? { type: 'pong' } : { type: 'pong', n: f.n });
    if (f.type === 'hello') return this.onHello(f.resume ?? {});
    if (!this.hello) throw new AppError('BAD_REQUEST', 'send hello first');
    switch (f.type) {
      case 'send':
        return this.onSend(f.envelope);
      case 'typing':
        if (!this.deps.hub.inRoom(this, f.room))
          throw new AppError('NOT_MEMBER', 'you are not a member of this room');
        this.deps.bus.publish(`room:${f.room}`, {
          kind: 'frame',
          frame: JSON.stringify({ type: 'typing', room: f.room, user: this.user }),
          skipUser: this.user,
        });
        return;
      case 'key_request':
        return this.deps.keyRequests.ask(this.user, { room: f.room, sender: f.sender, sessionId: f.sessionId });
    }
  }

  private async onHello(resume: Record<string, number>): Promise<void> {
    if (this.hello) throw new AppError('BAD_REQUEST', 'hello was already received');
    this.hello = true;
    this.pending = [];
    await this.deps.hub.register(this);
    // Logout or revoke closes the sockets the hub knows, and the hub learns of a socket only here: a socket
    // upgraded before its session ended is caught by looking again after registering [ASVS 7.4.1].
    const sessions = await this.deps.store.listSessions(this.user);
    if (!sessions.some((s) => s.id === this.sessionId))
      throw new AppError('SESSION_ENDED', 'the session has ended');
    this.send({ type: 'ready', v: 1, user: this.user });
    for (const other of await this.deps.hub.onlineCoMembers(this.user)) {
      this.send({ type: 'presence', user: other, online: true });
    }
    await replay(this, resume, this.deps);
    const buffered = this.pending;
    this.pending = null;
    for (const b of buffered) this.deliver(b.frame, b.room, b.seq);
  }

  private async onSend(envelope: Extract<ClientFrame, { type: 'send' }>['envelope']): Promise<void> {
    const wait = this.deps.sendLimiter.take(this.user);
    if (wait > 0)
      throw new AppError('RATE_LIMITED', `too many messages; retry in ${wait} s`, { retryAfterSec: wait });
    const [event] = await this.deps.sequencer.submit({ kind: 'message', sender: this.user, envelope });
    if (!event) throw new AppError('INTERNAL', 'no event committed');
    this.send({
      type: 'ack',
      room: event.room,
      clientMsgId: envelope.clientMsgId,
      seq: event.seq,
      ts: event.ts,
      chain: event.chain,
    });
  }
}

function refOf(f: ClientFrame): string | undefined {
  return f.type === 'send' ? f.envelope.clientMsgId : undefined;
}
