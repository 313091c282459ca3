// `npm run bench:encoding`: CPU per event of the one canonical encoder (protocol canonical.ts) on its two
// paths: the server linking a message it commits (storage/event-rows.ts nextEvent: the event's canonical bytes
// on Node's pooled buffers and native base64url, its SHA-256, the chain link, the row) and a reader's
// eventInputs on the portable path (what the SDK does for every event of a history page before verifying it).
// 512 B messages, one thread, medians of five rounds after a warm-up.
import { eventInputs, randomBytes, randomId, toB64u, type Envelope } from '@parley/protocol';
import { nextEvent } from '../../packages/server/src/storage/event-rows.ts';

const EVENTS = 200_000;
const ROUNDS = 5;
const b64u = (n: number) => toB64u(randomBytes(n));

const room = randomId();
const envelope: Envelope = {
  v: 1,
  room,
  sessionId: b64u(16),
  index: 5,
  memberSeq: 3,
  iv: b64u(12),
  ciphertext: b64u(512 + 16),
  commit: b64u(32),
  clientMsgId: b64u(16),
  counter: 9,
  signature: b64u(384),
};

/** Microseconds per call of `run`, the median of ROUNDS rounds. */
function perEvent(run: (seq: number) => unknown): number {
  const rounds: number[] = [];
  for (let r = -1; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    for (let i = 1; i <= EVENTS; i++) run(i);
    if (r >= 0) rounds.push(Number(process.hrtime.bigint() - start) / EVENTS / 1000);
  }
  return rounds.sort((a, b) => a - b)[ROUNDS >> 1]!;
}

const tip = { seq: 0, chain: new Uint8Array(32), memberSeq: 0 };
const server = perEvent(() =>
  nextEvent(room, tip, 1_000, { kind: 'message', sender: 'alice', content: envelope }),
);
const reader = perEvent((seq) =>
  eventInputs({ room, seq, ts: 1_000, kind: 'message', sender: 'alice', content: envelope }),
);
console.log(`server nextEvent (hash, chain, row)   ${server.toFixed(2)} µs per event`);
console.log(`reader eventInputs (portable)        ${reader.toFixed(2)} µs per event`);
