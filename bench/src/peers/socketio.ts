// What people pick instead: Socket.IO 4, websocket transport only, no compression, no HTTP long-polling.
// A client names its room in the handshake `auth`; `send` is re-emitted as `event` to the whole room (the sender
// included, as Parley echoes a message to its sender) — the idiomatic Socket.IO chat relay.
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const http = createServer();
const io = new Server(http, {
  transports: ['websocket'],
  perMessageDeflate: false,
  httpCompression: false,
  serveClient: false,
  cors: { origin: false },
});

io.on('connection', (socket) => {
  const auth = socket.handshake.auth as { room?: unknown };
  const room = typeof auth.room === 'string' ? auth.room : '';
  void socket.join(room);
  socket.on('send', (message: unknown) => {
    io.to(room).emit('event', message);
  });
});

http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = http.address();
  if (address && typeof address === 'object') console.log(`LISTENING ${address.port}`);
});
