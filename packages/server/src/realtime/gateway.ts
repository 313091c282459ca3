// The /api/connect upgrade: Origin allowlist and authentication BEFORE the upgrade (cross-site WebSocket
// hijacking), maxPayload = maxFrameBytes, no permessage-deflate.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Sessions } from '../security/sessions.ts';
import { authenticate, originAllowed } from '../security/request-auth.ts';
import { HTTP_STATUS, type ErrorCode } from '../errors.ts';
import { Connection } from './connection.ts';
import type { RealtimeDeps } from './deps.ts';

const REASONS: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  503: 'Service Unavailable',
};

function refuse(socket: Duplex, code: ErrorCode, message: string): void {
  const status = HTTP_STATUS[code];
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

export class Gateway {
  private readonly wss: WebSocketServer;
  private draining = false;

  constructor(
    private readonly deps: RealtimeDeps,
    private readonly sessions: Sessions,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: deps.config.maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: false,
    });
  }

  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => socket.destroy());
      this.onUpgrade(req, socket, head).catch((err: unknown) => {
        this.deps.log.error({ err }, 'upgrade failed');
        refuse(socket, 'INTERNAL', 'internal error');
      });
    });
  }

  private async onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/api/connect') return refuse(socket, 'NOT_FOUND', 'no WebSocket here; use /api/connect');
    if (this.draining) return refuse(socket, 'UNAVAILABLE', 'the server is shutting down');
    const origin = req.headers.origin;
    if (origin !== undefined && !originAllowed(origin, this.deps.config.allowedOrigins)) {
      return refuse(socket, 'FORBIDDEN', 'this Origin may not open a WebSocket');
    }
    const auth = await authenticate(req.headers, this.sessions);
    if (auth === null || auth === 'invalid') return refuse(socket, 'UNAUTHENTICATED', 'log in first');
    if (auth.via === 'cookie' && origin === undefined) {
      return refuse(socket, 'FORBIDDEN', 'a cookie-authenticated WebSocket needs an allowed Origin');
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = new Connection(ws, socket, auth.session.user, auth.session.id, this.deps);
      this.deps.connections.add(conn);
    });
  }

  /** [D5] No new sockets; every open one is closed with 1001 (going away). */
  closeAll(): void {
    this.draining = true;
    for (const c of [...this.deps.connections]) c.close(1001, 'server shutting down');
    this.wss.close();
  }
}
