// [M2] Answering key requests: another member lacks a session of this user's. The server keeps each request
// until this user's client has dealt with it, so a request made while this user was offline is answered when
// they are next online. Outbound.reshare decides, on the client's own verified fold, whether the requester may
// have the session; a request is answered at most once per requester, session and interval, so repeating it
// cannot make this client sign again and again.
import { keyRequestsResponse, type ServerFrame } from '@parley/protocol';
import type { Ctx } from './context.ts';
import type { Outbound } from './outbound.ts';

type KeyRequest = Omit<Extract<ServerFrame, { type: 'key_request' }>, 'type'>;

/** The same request (room, requester, session) is answered again only after this long. */
export const ANSWER_INTERVAL_MS = 5 * 60_000;

export class KeyRequestAnswers {
  /** When each room|requester|session was last answered. */
  private readonly answered = new Map<string, number>();

  constructor(
    private readonly ctx: Ctx,
    private readonly outbound: Outbound,
  ) {}

  /** Fetches the requests waiting on the server for this user and answers them; how many there were. */
  async answerWaiting(): Promise<number> {
    const { requests } = await this.ctx.api.get('/api/key-requests', keyRequestsResponse);
    await this.answer(requests);
    return requests.length;
  }

  /**
   * Answers each request (or declines it: Outbound.reshare shares only what the fold allows), then tells the
   * server they are dealt with. A request whose answer failed (the network) stays on the server for next time.
   */
  async answer(requests: readonly KeyRequest[], now = Date.now()): Promise<void> {
    const done: number[] = [];
    for (const r of requests) {
      const id = `${r.room}|${r.from}|${r.sessionId}`;
      const last = this.answered.get(id);
      if (last === undefined || now - last >= ANSWER_INTERVAL_MS) {
        try {
          await this.outbound.reshare(r.room, r.from, r.sessionId);
        } catch {
          continue;
        }
        this.answered.set(id, now);
      }
      done.push(r.id);
    }
    if (done.length > 0) await this.ctx.api.send('POST', '/api/key-requests/ack', { ids: done });
  }

  /** Logout: the next user starts with no memory of this one's answers. */
  forget(): void {
    this.answered.clear();
  }
}
