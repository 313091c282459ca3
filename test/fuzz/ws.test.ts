/* eslint-disable @typescript-eslint/no-unsafe-return -- these suites read, forge and
   return parsed JSON answers and frames; typing each one would hide what the attack changes. */
// Fuzzing every WebSocket frame type of protocol.md §6 on a real socket: mutated hello / send / typing /
// ping / key_request frames, random JSON, truncated text, binary and oversized frames. After every input a
// ping must be answered (no hang); a bad frame gets an `error` frame with a known code (never INTERNAL) and
// the socket stays; only a protocol violation (not JSON, binary, oversize) closes it, with 1008 / 1009.
import fc from 'fast-check';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId, type Head, type RoomEvent } from '@parley/protocol';
import { ERROR_CODES } from '../../packages/server/src/errors.ts';
import {
  api,
  createRoom,
  envelope,
  keyPool,
  register,
  startUnlimited,
  uniqueName,
  within,
  type Harness,
  type TestUser,
} from '../support/server.ts';
import { checkLog, readWholeLog } from '../support/log-check.ts';
import { FUZZ_RUNS, fuzzTimeoutMs, mutate, weird } from './inputs.ts';

const MAX_FRAME = 64 * 1024;

/** A bare client: frames are inspected and dropped, so 100 000 inputs hold no memory here. */
class FuzzSocket {
  private n = 0;
  private waiting = new Map<number, () => void>();
  readonly errors: string[] = [];
  closeCode: number | null = null;
  private readonly closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const f = JSON.parse(String(data));
      if (f.type === 'pong' && typeof f.n === 'number') this.waiting.get(f.n)?.();
      if (f.type === 'error') this.errors.push(f.code);
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code) => {
        this.closeCode = code;
        resolve(code);
      }),
    );
  }

  static async open(url: string, token: string, hello: boolean): Promise<FuzzSocket> {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const s = new FuzzSocket(ws);
    if (hello) {
      ws.send(JSON.stringify({ type: 'hello', v: 1 }));
      await s.roundTrip();
    }
    return s;
  }

  /** Resolves when the server answered a ping sent after everything before it; or with the close code. */
  roundTrip(): Promise<'pong' | number> {
    const n = ++this.n;
    const pong = new Promise<'pong'>((resolve) => this.waiting.set(n, () => resolve('pong')));
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: 'ping', n }));
    return within(Promise.race([pong, this.closed]), 5000, 'ping after a fuzzed frame').finally(() =>
      this.waiting.delete(n),
    );
  }

  close(): void {
    this.ws.terminate();
  }
}

type Input = { text: string; binary?: boolean; violation: 'none' | 'json' | 'binary' | 'size' };

let h: Harness;
let alice: TestUser;
let bob: TestUser;
let room: string;
let before: { events: RoomEvent[]; heads: Head[] };
let socket: FuzzSocket;
let inputs = 0;
let closes = 0;

async function fire(input: Input, hello = true): Promise<void> {
  inputs++;
  const errorsBefore = socket.errors.length;
  socket.ws.send(input.binary ? Buffer.from(input.text) : input.text, { binary: input.binary ?? false });
  const result = await socket.roundTrip();
  for (const code of socket.errors.slice(errorsBefore)) {
    expect(ERROR_CODES).toContain(code);
    expect(code).not.toBe('INTERNAL');
  }
  socket.errors.length = 0;
  if (result === 'pong') return;
  closes++;
  socket = await FuzzSocket.open(h.wsUrl, alice.token, hello);
  const expected = { none: [], json: [1008], binary: [1008], size: [1009] }[input.violation];
  if (!expected.includes(result as never)) throw new Error(`closed ${result} after ${input.text.slice(0, 120)}`);
}

const frameOf = (valid: unknown): fc.Arbitrary<Input> =>
  fc.oneof(
    {
      weight: 8,
      arbitrary: mutate(valid).map((v) => ({ text: JSON.stringify(v) ?? 'null', violation: 'none' as const })),
    },
    {
      weight: 2,
      arbitrary: weird.map((v) => ({ text: JSON.stringify(v) ?? 'null', violation: 'none' as const })),
    },
    {
      weight: 1,
      arbitrary: fc
        .nat({ max: JSON.stringify(valid).length - 1 })
        .map((n) => ({ text: JSON.stringify(valid).slice(0, n), violation: 'json' as const })),
    },
    {
      weight: 1,
      arbitrary: fc.constant({ text: JSON.stringify(valid), binary: true, violation: 'binary' as const }),
    },
    {
      weight: 1,
      arbitrary: fc.constant({
        text: JSON.stringify({ ...(valid as object), pad: 'x'.repeat(MAX_FRAME) }),
        violation: 'size' as const,
      }),
    },
  );

/** What the input really is: over the frame limit, or a truncation that still happens to be valid JSON. */
function classify(i: Input): Input {
  if (Buffer.byteLength(i.text) > MAX_FRAME) return { ...i, violation: 'size' };
  if (i.violation !== 'json') return i;
  try {
    JSON.parse(i.text);
    return { ...i, violation: 'none' };
  } catch {
    return i;
  }
}

const run = (arb: fc.Arbitrary<Input>, hello = true) =>
  fc.assert(
    fc.asyncProperty(arb.map(classify), (i) => fire(i, hello)),
    { numRuns: FUZZ_RUNS },
  );

beforeAll(async () => {
  h = await startUnlimited({ maxFrameBytes: MAX_FRAME });
  await keyPool();
  [alice, bob] = await Promise.all([register(h, uniqueName('alice'), 0), register(h, uniqueName('bob'), 1)]);
  room = await createRoom(h, alice, { invite: [bob] });
  for (let i = 1; i <= 3; i++)
    await api(h, 'POST', '/api/chat', { token: alice.token, body: { envelope: await envelope(alice, room, i) } });
  before = await readWholeLog(async (url) => (await api(h, 'GET', url, { token: alice.token })).body, room);
  socket = await FuzzSocket.open(h.wsUrl, alice.token, true);
});

afterAll(async () => {
  socket.close();
  const after = await readWholeLog(async (url) => (await api(h, 'GET', url, { token: alice.token })).body, room);
  expect(after.events.slice(0, before.events.length)).toEqual(before.events);
  const spki = (await api(h, 'GET', '/api/')).body.serverKey.spki;
  expect((await checkLog(after.events, after.heads, spki)).problems).toEqual([]);
  expect((await api(h, 'GET', '/api/health')).body).toEqual({ ok: true });
  console.log(`ws fuzz: ${inputs} frames, ${closes} protocol-violation closes`);
  await h.close();
});

describe('[§6 Input] WebSocket frames under fuzzing: an error frame or a clean close, never a hang', () => {
  const t = { timeout: fuzzTimeoutMs(15) };

  it('hello (again, and malformed resume maps)', t, () =>
    run(frameOf({ type: 'hello', v: 1, resume: { [room]: 1, [randomId()]: 0 } })),
  );

  it('send', t, async () => run(frameOf({ type: 'send', envelope: await envelope(alice, room, 50) })));

  it('typing', t, () => run(frameOf({ type: 'typing', room })));

  it('ping', t, () => run(frameOf({ type: 'ping', n: 7 })));

  it('key_request', t, () => run(frameOf({ type: 'key_request', room, sender: bob.name, sessionId: randomId() })));

  it('any frame before hello', t, async () => {
    socket.close();
    socket = await FuzzSocket.open(h.wsUrl, alice.token, false);
    const valid = { type: 'send', envelope: await envelope(alice, room, 60) };
    await run(fc.oneof(frameOf(valid), frameOf({ type: 'typing', room })), false);
    socket.close();
    socket = await FuzzSocket.open(h.wsUrl, alice.token, true);
  });
});
