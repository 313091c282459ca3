// The ceiling: a bare `ws` broadcast server. Rooms are connection groups named by the `room` query parameter;
// every frame a client sends is written unchanged to every socket of its room (the sender included, as Parley
// echoes a message to its sender). No parsing, no storage, no compression.
import { WebSocketServer, type WebSocket } from 'ws';

const rooms = new Map<string, Set<WebSocket>>();
const wss = new WebSocketServer({
  port: Number(process.env.PORT ?? 0),
  host: '127.0.0.1',
  perMessageDeflate: false,
});

wss.on('connection', (ws, req) => {
  const room = new URL(req.url ?? '/', 'http://x').searchParams.get('room') ?? '';
  let members = rooms.get(room);
  if (!members) rooms.set(room, (members = new Set()));
  const group = members;
  group.add(ws);
  ws.on('message', (data, isBinary) => {
    for (const peer of group) peer.send(data, { binary: isBinary });
  });
  ws.on('close', () => group.delete(ws));
});

wss.on('listening', () => {
  const address = wss.address();
  if (address && typeof address === 'object') console.log(`LISTENING ${address.port}`);
});
