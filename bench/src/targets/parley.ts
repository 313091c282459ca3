// Parley itself, as `npm start` runs it: its own pinned process, a temp data directory, SQLite with durable
// acks. Variants turn one cost off (parley-variant.ts, a bench-only entry: production configuration cannot)
// so each cost shows on its own.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnServer } from '../proc.ts';
import { createRoom, register, type Account } from './parley-accounts.ts';
import { nextFrame, openSocket, type RoomSpec, type Target, type TargetFactory, type Wire } from './target.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = path.join(ROOT, 'packages/server/src/main.ts');
const VARIANT_MAIN = fileURLToPath(new URL('./parley-variant.ts', import.meta.url));

/** Distinct users per room: beyond it a room's sockets are several sockets of the same users. */
export const USERS_PER_ROOM = 8;
const NO_LIMIT = String(1e12);

const EVENT = Buffer.from('"type":"event"');
const ACK = Buffer.from('"type":"ack"');
const parleyWire: Wire = {
  encodeSend: (envelopeJson) => `{"type":"send","envelope":${envelopeJson}}`,
  classify: (data) => {
    const start = data.subarray(0, 48);
    if (start.includes(EVENT)) return 'delivery';
    return start.includes(ACK) ? 'ack' : 'other';
  },
};

export interface ParleyVariant {
  name: string;
  /** A cost switched off by parley-variant.ts (BENCH_VARIANT); none: the server as `npm start` runs it. */
  off?: 'nosync' | 'nosign';
  /** Put the data directory on tmpfs (no disk under the fsync). */
  tmpfs?: boolean;
}

export const PARLEY_VARIANTS: readonly ParleyVariant[] = [
  { name: 'parley' },
  { name: 'parley-tmpfs', tmpfs: true },
  { name: 'parley-nosync', off: 'nosync' },
  { name: 'parley-nosign', off: 'nosign' },
];

export function parleyTarget(variant: ParleyVariant = PARLEY_VARIANTS[0]!): TargetFactory {
  return {
    name: variant.name,
    start: (o) => startParley(variant, o),
    async startPrepared(count, size) {
      const first = await startParley(variant);
      const rooms = await first.prepareRooms(count, size);
      // Registration (scrypt, HTTP) grew the heap; a restart on the same data keeps accounts and sessions.
      await first.stop({ keepData: true });
      return { target: await startParley(variant, { dataDir: first.dataDir, inspect: true }), rooms };
    },
  };
}

type ParleyTarget = Target & { dataDir: string; stop(o?: { keepData?: boolean }): Promise<void> };

function profileArgs(): string[] {
  const dir = process.env.BENCH_PROFILE_DIR;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

async function startParley(
  variant: ParleyVariant,
  o: { dataDir?: string; inspect?: boolean } = {},
): Promise<ParleyTarget> {
  const dataDir = o.dataDir ?? mkdtempSync(path.join(variant.tmpfs ? '/dev/shm' : tmpdir(), 'parley-bench-'));
  const proc = await spawnServer({
    inspect: o.inspect,
    // BENCH_PROFILE_DIR=dir writes a V8 CPU profile of the server (node --cpu-prof) when it stops.
    args: [...profileArgs(), '--import', 'tsx', variant.off ? VARIANT_MAIN : MAIN],
    env: {
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      ...Object.fromEntries(
        ['RATE_SEND', 'RATE_FRAMES', 'RATE_REGISTER'].flatMap((k) => [
          [`${k}_PER_MIN`, NO_LIMIT],
          [`${k}_BURST`, NO_LIMIT],
        ]),
      ),
      ...(variant.off ? { BENCH_VARIANT: variant.off } : {}),
    },
    portFromLine: (line) => {
      const m = /listening on https?:\/\/[^ ]*:(\d+)/.exec(line);
      return m ? Number(m[1]) : null;
    },
  });
  const base = `http://127.0.0.1:${proc.port}`;
  const users = new UserPool(base);
  return {
    name: variant.name,
    dataDir,
    pid: proc.pid,
    wire: parleyWire,
    prepareRooms: (count, size) => prepareRooms(users, count, size),
    async connect(room, member, localAddress) {
      const token = room.members[member];
      if (token === undefined) throw new RangeError('member is out of the room');
      const ws = await openSocket(`ws://127.0.0.1:${proc.port}/api/connect`, {
        headers: { authorization: `Bearer ${token}` },
        localAddress,
      });
      const ready = nextFrame(ws, (t) => t.startsWith('{"type":"ready"'));
      ws.send('{"type":"hello","v":1}');
      await ready;
      return ws;
    },
    collectGarbage: () => proc.collectGarbage(),
    async stop(s: { keepData?: boolean } = {}) {
      await proc.stop();
      if (!s.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Registered users handed out in turn, so rooms of one setup get disjoint users while the pool lasts. */
class UserPool {
  private readonly accounts: Account[] = [];
  private next = 0;
  constructor(readonly base: string) {}

  async take(n: number): Promise<Account[]> {
    const out: Account[] = [];
    while (out.length < n) {
      if (this.next >= this.accounts.length) await this.grow(Math.max(8, n - out.length));
      out.push(this.accounts[this.next++]!);
    }
    return out;
  }

  rewind(): void {
    this.next = 0;
  }

  private async grow(n: number): Promise<void> {
    const start = this.accounts.length;
    // The server's scrypt is the cost here; four at a time keeps its event loop responsive.
    for (let i = 0; i < n; i += 4) {
      const batch = Array.from({ length: Math.min(4, n - i) }, (_, k) =>
        register(this.base, `bench${start + i + k}`),
      );
      this.accounts.push(...(await Promise.all(batch)));
    }
  }
}

async function prepareRooms(users: UserPool, count: number, size: number): Promise<RoomSpec[]> {
  const specs: RoomSpec[] = [];
  const distinct = Math.min(size, USERS_PER_ROOM);
  for (let r = 0; r < count; r++) {
    const members = await users.take(distinct);
    const [creator, ...others] = members as [Account, ...Account[]];
    const id = await createRoom(users.base, creator, others);
    specs.push({
      id,
      sender: creator.user,
      memberSeq: 1 + others.length,
      members: Array.from({ length: size }, (_, i) => members[i % distinct]!.token),
    });
  }
  users.rewind();
  return specs;
}
