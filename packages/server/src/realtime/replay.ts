// [D3] hello.resume: every event after lastSeq, per room, in order, before live events. More than
// MAX_REPLAY missed events are not replayed: the client is told the gap and pages history over HTTP.
import type { RealtimeDeps } from './deps.ts';
import { eventFrame } from './frames.ts';
import type { Connection } from './connection.ts';

export const MAX_REPLAY = 2000;
const PAGE = 500;

export async function replay(conn: Connection, resume: Record<string, number>, deps: RealtimeDeps): Promise<void> {
  for (const [room, lastSeq] of Object.entries(resume)) {
    if (!deps.hub.inRoom(conn, room)) {
      conn.send({ type: 'error', code: 'NOT_MEMBER', message: 'not a member: nothing to resume', ref: room });
      continue;
    }
    await replayRoom(conn, room, lastSeq, deps);
  }
}

export async function replayRoom(
  conn: Connection,
  room: string,
  lastSeq: number,
  deps: RealtimeDeps,
): Promise<void> {
  const head = await deps.store.headSeq(room);
  conn.wrote(room, lastSeq);
  if (head <= lastSeq) return;
  let after = lastSeq;
  if (head - lastSeq > MAX_REPLAY) {
    after = head - MAX_REPLAY;
    conn.send({ type: 'gap', room, from: lastSeq + 1, to: after });
  }
  while (after < head) {
    const events = await deps.store.readEvents(room, { after, limit: PAGE, maxSeq: head });
    if (events.length === 0) break;
    for (const event of events) {
      if (event.seq !== after + 1) conn.send({ type: 'gap', room, from: after + 1, to: event.seq - 1 });
      conn.write(eventFrame(event));
      conn.wrote(room, event.seq);
      after = event.seq;
    }
  }
  if (after < head) conn.send({ type: 'gap', room, from: after + 1, to: head });
  await deps.heads.flush(room);
  const heads = await deps.store.readHeads(room, head, head);
  const latest = heads[heads.length - 1];
  if (latest) conn.send({ type: 'head', head: latest });
}
