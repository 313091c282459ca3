// Sessions (DESIGN §6): a 256-bit random token, stored only as its SHA-256; idle and absolute timeouts.
import { createHash, randomBytes } from 'node:crypto';
import { toB64u, tryFromB64u } from '@parley/protocol';
import type { SessionRecord, Store } from '../storage/store.ts';

export const COOKIE_NAME = '__Host-parley';
/** lastSeenAt is written at most this often, so reads do not turn into writes. */
const TOUCH_EVERY_MS = 60_000;

const hashToken = (token: Uint8Array) => toB64u(createHash('sha256').update(token).digest());

export interface NewSession {
  token: string;
  session: SessionRecord;
}

export class Sessions {
  constructor(
    private readonly store: Store,
    private readonly timeouts: { idleMs: number; absoluteMs: number },
  ) {}

  async create(user: string, now = Date.now()): Promise<NewSession> {
    const token = randomBytes(32);
    const session: SessionRecord = {
      id: toB64u(randomBytes(16)),
      user,
      csrfToken: toB64u(randomBytes(32)),
      createdAt: now,
      lastSeenAt: now,
    };
    await this.store.createSession({ ...session, tokenHash: hashToken(token) });
    return { token: toB64u(token), session };
  }

  /** The live session for a presented token, or null (unknown, malformed or expired: all look the same). */
  async resolve(token: string, now = Date.now()): Promise<SessionRecord | null> {
    const bytes = tryFromB64u(token);
    if (!bytes || bytes.length !== 32) return null;
    const s = await this.store.findSession(hashToken(bytes));
    if (!s) return null;
    if (now - s.lastSeenAt > this.timeouts.idleMs || now - s.createdAt > this.timeouts.absoluteMs) {
      await this.store.deleteSession(s.id);
      return null;
    }
    if (now - s.lastSeenAt > TOUCH_EVERY_MS) {
      await this.store.touchSession(s.id, now);
      return { ...s, lastSeenAt: now };
    }
    return s;
  }
}
