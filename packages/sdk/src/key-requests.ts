// [M2] Answering key requests: another member lacks a session of this user's. The server keeps each request
// until this user's client has dealt with it, so a request made while this user was offline is answered when
// they are next online. Outbound.reshare decides, on the client's own verified fold, whether the requester may
// have the session. A request for a session another device of this account made is left on the server for
// that device [K9]; one for a session the account never made is dropped. A request is looked at once per
// requester, session and interval, so repeating it cannot make this client sign again and again.
import { keyRequestsResponse, type ServerFrame } from '@parley/protocol';
import { storeKey, type Ctx } from './context.ts';
import type { Outbound } from './outbound.ts';

type KeyRequest = Omit<Extract<ServerFrame, { type: 'key_request' }>, 'type'>;

/** The same request (room, requester, session) is answered again only after this long. */
export const ANSWER_INTERVAL_MS = 5 * 60_000;

export class KeyRequestAnswers {
  /** When each room|requester|session was last looked at, and whether it was this device's to answer. */
  private readonly answered = new Map<string, { at: number; mine: boolean }>();

  constructor(
    private readonly ctx: Ctx,
    private readonly outbound: Outbound,
    /** Reads what the account's other devices wrote to the vault since this one last looked. */
    private readonly pullVault: () => Promise<void>,
  ) {}

  /** Fetches the requests waiting on the server for this user and answers them; how many there were. */
  async answerWaiting(): Promise<number> {
    const { requests } = await this.ctx.api.get('/api/key-requests', keyRequestsResponse);
    await this.answer(requests);
    return requests.length;
  }

  /**
   * Answers each request (or declines it: Outbound.reshare shares only what the fold allows), then tells the
   * server they are dealt with. A request whose answer failed (the network), or that another device of this
   * account is to answer, stays on the server.
   */
  async answer(requests: readonly KeyRequest[], now = Date.now()): Promise<void> {
    const done: number[] = [];
    // The vault is read at most once per batch of requests, when a session is not here yet.
    const vault = { pulled: false };
    for (const r of requests) {
      const id = `${r.room}|${r.from}|${r.sessionId}`;
      let last = this.answered.get(id);
      if (last === undefined || now - last.at >= ANSWER_INTERVAL_MS) {
        try {
          let outcome = await this.outbound.reshare(r.room, r.from, r.sessionId);
          // The vault may bring the session from the device that made it: then this one may answer too.
          if (outcome === 'not_held' && !vault.pulled) {
            vault.pulled = true;
            await this.pullVault();
            outcome = await this.outbound.reshare(r.room, r.from, r.sessionId);
          }
          last = { at: now, mine: outcome === 'decided' || !(await this.isAccountSession(r.room, r.sessionId)) };
        } catch {
          continue;
        }
        this.answered.set(id, last);
      }
      if (last.mine) done.push(r.id);
    }
    if (done.length > 0) await this.ctx.api.send('POST', '/api/key-requests/ack', { ids: done });
  }

  /**
   * [K9] Whether a session is one this account made (here or on another device): each device writes the
   * sessions it makes to the vault, and the others keep them as their own user's, to read them.
   */
  private async isAccountSession(room: string, sessionId: string): Promise<boolean> {
    return (await this.ctx.store.get(storeKey.inbound(room, this.ctx.me().user, sessionId))) !== undefined;
  }

  /** Logout: the next user starts with no memory of this one's answers. */
  forget(): void {
    this.answered.clear();
  }
}
