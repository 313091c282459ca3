/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- these suites read, forge and
   return parsed JSON answers and frames; typing each one would hide what the attack changes. */
// Crash and load against a real server process [D1] [D2] [D3] [R1] [M5]: a loop of SIGKILLs under a steady
// send load (CRASH_KILLS, default 3; `CRASH_KILLS=25 npx vitest run test/crash` for the long form). After
// every restart each acked message is in the log exactly once at its acked seq, resends of unacked ones are
// answered idempotently, every room's chain and heads verify, and the server key is the same. Then a
// thundering herd of sockets resumes at once and each gets exactly what it missed, in order.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId, type Envelope, type RoomEvent } from '@parley/protocol';
import { envelope, keyPool, member, registerBody, TestSocket, type TestUser } from '../support/server.ts';
import { checkLog, readWholeLog } from '../support/log-check.ts';
import { startChild, type Child } from '../support/child.ts';
import { MAX_REPLAY } from '../../packages/server/src/realtime/replay.ts';

const KILLS = Number(process.env.CRASH_KILLS ?? 3);
const HERD = Number(process.env.HERD_SOCKETS ?? (KILLS >= 20 ? 300 : 60));
const ENV = {
  RATE_SEND_PER_MIN: '10000000',
  RATE_SEND_BURST: '10000000',
  RATE_FRAMES_PER_MIN: '10000000',
  RATE_FRAMES_BURST: '10000000',
};

const dataDir = mkdtempSync(path.join(tmpdir(), 'parley-kill-'));
let child: Child;
afterAll(async () => {
  await child?.kill9();
  rmSync(dataDir, { recursive: true, force: true });
});

async function call(
  method: string,
  url: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; body: any }> {
  const res = await fetch(child.url + url, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function newUser(i: number): Promise<TestUser> {
  const pairs = (await keyPool())[i % 3]!;
  const name = `k${Date.now().toString(36)}${i}`;
  const { body } = await registerBody(name, 'kill test password', pairs);
  const r = await call('POST', '/api/register', body);
  expect(r.status).toBe(201);
  return { name, pairs, token: r.body.token, authKey: body.authKey } as TestUser;
}

async function newRoom(owner: TestUser, others: TestUser[]): Promise<string> {
  const room = randomId();
  const create = await member(owner, { type: 'create', room, target: owner.name, name: 'kill', public: false });
  const invites = await Promise.all(others.map((o) => member(owner, { type: 'invite', room, target: o.name })));
  expect((await call('POST', '/api/rooms', { create, invites }, owner.token)).status).toBe(201);
  return room;
}

/** A sender that keeps posting; an unanswered message is resent with the same clientMsgId until acked [D2]. */
class Sender {
  readonly acked = new Map<string, { room: string; seq: number }>();
  resends = 0;
  private counter = 0;
  private stopped = false;
  /** Open unless paused: the next message waits for it. */
  private gate: Promise<void> = Promise.resolve();
  private open = () => {};
  readonly done: Promise<void>;

  constructor(
    private readonly user: TestUser,
    private readonly rooms: string[],
  ) {
    this.done = this.loop();
  }

  stop(): Promise<void> {
    this.stopped = true;
    this.open();
    return this.done;
  }

  /** Holds the next message until `resume` (the one in flight is still delivered). */
  pause(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  resume(): void {
    this.open();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      await this.gate;
      if (this.stopped) return;
      const room = this.rooms[this.counter % this.rooms.length]!;
      const e = await envelope(this.user, room, ++this.counter);
      await this.deliver(e);
    }
  }

  private async deliver(e: Envelope): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await call('POST', '/api/chat', { envelope: e }, this.user.token);
        if (r.status === 200) {
          this.acked.set(e.clientMsgId, { room: r.body.room, seq: r.body.seq });
          return;
        }
        throw new Error(`chat answered ${r.status}: ${JSON.stringify(r.body)}`);
      } catch (err) {
        if (err instanceof Error && err.message.startsWith('chat answered')) throw err;
        if (attempt === 0) this.resends++;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
}

async function verifyRooms(rooms: string[], reader: TestUser, acked: Map<string, { room: string; seq: number }>) {
  const spki = (await call('GET', '/api/')).body.serverKey.spki as string;
  const logs = new Map<string, RoomEvent[]>();
  for (const room of rooms) {
    const log = await readWholeLog(async (url) => (await call('GET', url, undefined, reader.token)).body, room);
    expect((await checkLog(log.events, log.heads, spki)).problems).toEqual([]);
    logs.set(room, log.events);
  }
  const seen = new Map<string, { room: string; seq: number }[]>();
  for (const [room, events] of logs)
    for (const e of events)
      if (e.kind === 'message')
        seen.set(e.content.clientMsgId, [...(seen.get(e.content.clientMsgId) ?? []), { room, seq: e.seq }]);
  for (const [id, at] of acked) expect(seen.get(id)).toEqual([at]);
  for (const [, at] of seen) expect(at).toHaveLength(1);
  return { spki, logs };
}

describe(`[D1] [D2] ${KILLS} x kill -9 under a steady send load`, () => {
  let users: TestUser[];
  let rooms: string[];

  beforeAll(async () => {
    child = await startChild(dataDir, ENV);
    users = await Promise.all([0, 1, 2].map(newUser));
    rooms = [await newRoom(users[0]!, [users[1]!, users[2]!]), await newRoom(users[1]!, [users[0]!, users[2]!])];
  });

  it(
    'every acked message survives exactly once, every chain and head verifies, after every restart',
    async () => {
      const senders = users.flatMap((u) => [new Sender(u, rooms), new Sender(u, [...rooms].reverse())]);
      const spki = (await call('GET', '/api/')).body.serverKey.spki;
      let total = 0;
      for (let k = 1; k <= KILLS; k++) {
        const before = total;
        const ackedNow = () => senders.reduce((n, s) => n + s.acked.size, 0);
        while (ackedNow() < before + 20) await new Promise((r) => setTimeout(r, 10));
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 300));
        await child.kill9();
        const acked = new Map(senders.flatMap((s) => [...s.acked]));
        total = acked.size;
        child = await startChild(dataDir, ENV);
        // The log is read whole after each restart; sending on meanwhile would grow it faster than it is read
        // (a long run, CRASH_KILLS=25, then never ends). The kills are under load; the checks need not be.
        for (const s of senders) s.pause();
        const check = await verifyRooms(rooms, users[2]!, acked);
        expect(check.spki).toBe(spki);
        for (const s of senders) s.resume();
      }
      await Promise.all(senders.map((s) => s.stop()));
      const all = new Map(senders.flatMap((s) => [...s.acked]));
      await verifyRooms(rooms, users[2]!, all);
      const resends = senders.reduce((n, s) => n + s.resends, 0);
      console.log(`crash: ${KILLS} kills, ${all.size} acked messages verified, ${resends} resends after a kill`);
      expect(all.size).toBeGreaterThanOrEqual(20 * KILLS);
    },
    120_000 + KILLS * 20_000,
  );

  it(`[D3] a thundering herd of ${HERD} sockets resumes at once, each gets exactly what it missed, in order (past ${MAX_REPLAY}: the gap said, then the newest)`, async () => {
    const heads = new Map<string, number>();
    for (const room of rooms)
      heads.set(
        room,
        (await call('GET', `/api/rooms/${room}/events?limit=1`, undefined, users[0]!.token)).body.headSeq,
      );
    const wsUrl = child.url.replace('http', 'ws') + '/api/connect';
    const herd = Array.from({ length: HERD }, async (_, i) => {
      const u = users[i % users.length]!;
      const resume = Object.fromEntries(rooms.map((r) => [r, Math.floor(Math.random() * heads.get(r)!)]));
      // A socket that missed more than MAX_REPLAY events is told the gap first, then gets the newest ones (it
      // pages the rest over HTTP): a long run (CRASH_KILLS=25) writes more than that to a room.
      const replayedFrom = (r: string) => Math.max(resume[r]!, heads.get(r)! - MAX_REPLAY);
      const s = await TestSocket.open(wsUrl, { authorization: `Bearer ${u.token}` });
      s.send({ type: 'hello', v: 1, resume });
      const got = new Map<string, number[]>(rooms.map((r) => [r, []]));
      const gaps = new Map<string, [number, number][]>(rooms.map((r) => [r, []]));
      const missing = () => rooms.some((r) => got.get(r)!.length < heads.get(r)! - replayedFrom(r));
      while (missing()) {
        const f = await s.next((x) => x.type === 'event' || x.type === 'gap', 30_000);
        if (f.type === 'gap') gaps.get(f.room)!.push([f.from, f.to]);
        else got.get(f.event.room)!.push(f.event.seq);
      }
      s.close();
      for (const r of rooms) {
        const from = replayedFrom(r);
        expect(gaps.get(r)).toEqual(from > resume[r]! ? [[resume[r]! + 1, from]] : []);
        expect(got.get(r)).toEqual(Array.from({ length: heads.get(r)! - from }, (_, j) => from + 1 + j));
      }
    });
    await Promise.all(herd);
    expect((await call('GET', '/api/health')).body).toEqual({ ok: true });
  }, 120_000);
});
