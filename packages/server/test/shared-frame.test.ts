// Frames built once per room (realtime/shared-frame.ts) must be byte-for-byte what ws itself would send, and a
// run of them written in one write must reach a real ws client as separate messages, in order.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wsModule from 'ws';
import WebSocket, { WebSocketServer } from 'ws';
import { SharedFrame, SharedRun, textFrame, writeShared } from '../src/realtime/shared-frame.ts';

interface WsSender {
  frame(data: Buffer, options: object): Buffer[];
}
/** ws's own framing, the oracle (exported at runtime, not in its type declarations). */
const { Sender } = wsModule as unknown as { Sender: WsSender };
const wsFrame = (payload: Buffer) =>
  Buffer.concat(Sender.frame(payload, { fin: true, opcode: 1, mask: false, readOnly: false, rsv1: false }));

let wss: WebSocketServer;
let server: WebSocket;
let client: WebSocket;
beforeAll(async () => {
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await once(wss, 'listening');
  const accepted = once(wss, 'connection');
  client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, { perMessageDeflate: false });
  [server] = (await accepted) as [WebSocket];
  await once(client, 'open');
});
afterAll(() => {
  client.terminate();
  wss.close();
});

function receive(n: number): Promise<string[]> {
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

  it('a run written in one write arrives as separate messages, in order, text intact', async () => {
    const texts = ['{"a":1}', JSON.stringify({ t: 'ü'.repeat(300) }), JSON.stringify({ big: 'x'.repeat(70_000) })];
    const got = receive(texts.length + 1);
    writeShared(server, new SharedRun('room', 7, texts));
    writeShared(server, new SharedFrame('{"after":true}'));
    expect(await got).toEqual([...texts, '{"after":true}']);
  });

  it('interleaves correctly with frames ws sends itself', async () => {
    const got = receive(3);
    server.send('{"n":1}');
    writeShared(server, new SharedFrame('{"n":2}'));
    server.send('{"n":3}');
    expect(await got).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
  });
});
