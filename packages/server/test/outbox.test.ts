// Frames built once per room (realtime/shared-frame.ts) must be byte-for-byte what ws itself would send, and
// what a connection pushes in one turn (realtime/outbox.ts) must reach a real ws client as separate messages,
// in order, in one socket write, beside the frames ws writes itself (pong, close).
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wsModule from 'ws';
import WebSocket, { WebSocketServer } from 'ws';
import { SharedFrame, SharedRun, textFrame } from '../src/realtime/shared-frame.ts';
import { Outbox } from '../src/realtime/outbox.ts';

interface WsSender {
  frame(data: Buffer, options: object): Buffer[];
}
/** ws's own framing, the oracle (exported at runtime, not in its type declarations). */
const { Sender } = wsModule as unknown as { Sender: WsSender };
const wsFrame = (payload: Buffer) =>
  Buffer.concat(Sender.frame(payload, { fin: true, opcode: 1, mask: false, readOnly: false, rsv1: false }));

let http: Server;
let wss: WebSocketServer;

/** A server-side ws, the socket the upgrade handed over (as the gateway gets it), and a client. */
async function pair(): Promise<{ server: WebSocket; socket: Duplex; client: WebSocket; writes: () => number }> {
  const accepted = new Promise<{ server: WebSocket; socket: Duplex }>((resolve) => {
    http.once('upgrade', (req, socket: Duplex, head: Buffer) =>
      wss.handleUpgrade(req, socket, head, (server) => resolve({ server, socket })),
    );
  });
  const client = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`, {
    perMessageDeflate: false,
  });
  const { server, socket } = await accepted;
  await once(client, 'open');
  let n = 0;
  const write = socket.write.bind(socket) as (chunk: Buffer) => boolean;
  socket.write = ((chunk: Buffer) => {
    n += 1;
    return write(chunk);
  }) as typeof socket.write;
  return { server, socket, client, writes: () => n };
}

beforeAll(async () => {
  http = createServer();
  wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
});
afterAll(() => {
  wss.close();
  http.close();
});

function receive(client: WebSocket, n: number): Promise<string[]> {
  const got: string[] = [];
  return new Promise((resolve) => {
    const on = (data: Buffer) => {
      got.push(data.toString('utf8'));
      if (got.length === n) {
        client.off('message', on);
        resolve(got);
      }
    };
    client.on('message', on);
  });
}

describe('shared frames', () => {
  it('frame every payload length class (7-bit, 16-bit, 64-bit) exactly as ws does', () => {
    for (const n of [0, 1, 125, 126, 127, 65_535, 65_536, 200_000]) {
      const payload = Buffer.from('é'.repeat(n >> 1) + 'x'.repeat(n & 1));
      expect(textFrame(payload).equals(wsFrame(payload))).toBe(true);
    }
  });
});

describe('outbox', () => {
  it('writes everything pushed in one turn in one write, each frame arriving as its own message, in order', async () => {
    const { socket, client, writes } = await pair();
    const outbox = new Outbox(socket);
    const texts = ['{"a":1}', JSON.stringify({ t: 'ü'.repeat(300) }), JSON.stringify({ n: 'x'.repeat(20_000) })];
    const got = receive(client, texts.length + 2);
    outbox.push(new SharedRun('room', 7, texts).bytes);
    outbox.push(new SharedFrame('{"after":true}').bytes);
    outbox.push(textFrame(Buffer.from('{"ack":1}')));
    expect(outbox.buffered).toBeGreaterThan(20_000);
    expect(writes()).toBe(0);
    await Promise.resolve();
    expect(writes()).toBe(1);
    expect(await got).toEqual([...texts, '{"after":true}', '{"ack":1}']);
    client.terminate();
  });

  it('writes at once past 64 KiB, so the [D4] bound counts only what the kernel did not take', async () => {
    const { socket, client, writes } = await pair();
    const outbox = new Outbox(socket);
    const big = JSON.stringify({ big: 'x'.repeat(70_000) });
    const got = receive(client, 2);
    outbox.push(textFrame(Buffer.from('{"first":1}')));
    outbox.push(textFrame(Buffer.from(big)));
    expect(writes()).toBe(1);
    expect(outbox.buffered).toBe(socket.writableLength);
    expect(await got).toEqual(['{"first":1}', big]);
    client.terminate();
  });

  it('lets ws answer a ping between its frames, and flushes before the close frame', async () => {
    const { server, socket, client } = await pair();
    const outbox = new Outbox(socket);
    const pong = once(client, 'pong');
    client.ping();
    await once(server, 'ping');
    outbox.push(textFrame(Buffer.from('{"n":1}')));
    await pong;
    const got = receive(client, 2);
    const closed = once(client, 'close');
    outbox.push(textFrame(Buffer.from('{"n":2}')));
    outbox.push(textFrame(Buffer.from('{"n":3}')));
    // What Connection.close does: the queued frames first, then ws's close frame.
    outbox.flush();
    server.close(4000, 'bye');
    expect(await got).toEqual(['{"n":2}', '{"n":3}']);
    const [code] = (await closed) as [number];
    expect(code).toBe(4000);
  });

  it('drops what is queued for a socket that is gone, without throwing', async () => {
    const { socket, client } = await pair();
    const outbox = new Outbox(socket);
    socket.destroy();
    outbox.push(textFrame(Buffer.from('{"late":true}')));
    await Promise.resolve();
    expect(outbox.buffered).toBe(0);
    client.terminate();
  });
});
