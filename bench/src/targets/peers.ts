// The two peers Parley is compared with, each started as its own pinned process (bench/src/peers/*).
import { fileURLToPath } from 'node:url';
import { randomId } from '@parley/protocol';
import { spawnServer, type ServerProcess } from '../proc.ts';
import {
  nextFrame,
  openSocket,
  startThenPrepare,
  type RoomSpec,
  type Target,
  type TargetFactory,
  type Wire,
} from './target.ts';

const peerFile = (name: string) => fileURLToPath(new URL(`../peers/${name}.ts`, import.meta.url));
const listeningPort = (line: string): number | null => {
  const m = /^LISTENING (\d+)$/.exec(line.trim());
  return m ? Number(m[1]) : null;
};

function startPeer(name: string, inspect = false): Promise<ServerProcess> {
  return spawnServer({
    inspect,
    args: ['--import', 'tsx', peerFile(name)],
    env: { PORT: '0' },
    portFromLine: listeningPort,
  });
}

const anonymousRooms = (count: number, size: number): Promise<RoomSpec[]> =>
  Promise.resolve(
    Array.from({ length: count }, () => ({
      id: randomId(),
      sender: 'bench',
      members: Array<string>(size).fill(''),
    })),
  );

// ---- bare ws: every frame is a delivery ----
const wsWire: Wire = { encodeSend: (envelopeJson) => envelopeJson, classify: () => 'delivery' };

export const wsBroadcast: TargetFactory = {
  name: 'ws',
  startPrepared: (count, size) => startThenPrepare(() => wsBroadcast.start({ inspect: true }), count, size),
  async start(o = {}): Promise<Target> {
    const proc = await startPeer('ws-broadcast', o.inspect);
    return {
      name: 'ws',
      pid: proc.pid,
      wire: wsWire,
      prepareRooms: anonymousRooms,
      connect: (room, _member, localAddress) =>
        openSocket(`ws://127.0.0.1:${proc.port}/?room=${room.id}`, { localAddress }),
      collectGarbage: () => proc.collectGarbage(),
      stop: () => proc.stop(),
    };
  },
};

// ---- Socket.IO 4, spoken directly over one websocket (Engine.IO v4 framing) so the generator's cost per
// frame is the same as for the other targets: "42[...]" is an event, "2" a ping the client answers with "3". ----
const CODE_4 = 0x34;
const CODE_2 = 0x32;
const socketIoWire: Wire = {
  encodeSend: (envelopeJson) => `42["send",${envelopeJson}]`,
  classify: (data) => (data[0] === CODE_4 && data[1] === CODE_2 ? 'delivery' : 'other'),
};

export const socketIo: TargetFactory = {
  name: 'socketio',
  startPrepared: (count, size) => startThenPrepare(() => socketIo.start({ inspect: true }), count, size),
  async start(o = {}): Promise<Target> {
    const proc = await startPeer('socketio', o.inspect);
    return {
      name: 'socketio',
      pid: proc.pid,
      wire: socketIoWire,
      prepareRooms: anonymousRooms,
      async connect(room, _member, localAddress) {
        const opened: Promise<string>[] = [];
        const ws = await openSocket(`ws://127.0.0.1:${proc.port}/socket.io/?EIO=4&transport=websocket`, {
          localAddress,
          onCreate: (socket) => {
            opened.push(nextFrame(socket, (t) => t.startsWith('0{')));
          },
        });
        await Promise.all(opened);
        const connected = nextFrame(ws, (t) => t.startsWith('40{'));
        ws.send(`40${JSON.stringify({ room: room.id })}`);
        await connected;
        ws.on('message', (data: Buffer) => {
          if (data.length === 1 && data[0] === CODE_2) ws.send('3');
        });
        return ws;
      },
      collectGarbage: () => proc.collectGarbage(),
      stop: () => proc.stop(),
    };
  },
};
