// Where each live frame goes [§6]. Frames are handled one at a time, in order (client.ts runs them through one
// queue), so an event is checked, folded and decrypted before the next one; work that may take long and need
// not hold up the events behind it (a vault read, answering key requests) is started and not awaited.
import type { ServerFrame } from '@parley/protocol';
import type { Emitter } from './emitter.ts';
import type { Inbound } from './inbound.ts';
import type { Integrity } from './integrity.ts';
import type { KeyRequestAnswers } from './key-requests.ts';
import type { Live } from './live.ts';
import type { Vault } from './vault.ts';

export interface FrameRoutes {
  inbound: Inbound;
  vault: Vault;
  keyRequests: KeyRequestAnswers;
  live: Live;
  integrity: Integrity;
  emitter: Emitter;
  /** Who is online (presence frames keep it). */
  online: Set<string>;
}

export function frameRouter(r: FrameRoutes): (frame: ServerFrame) => Promise<void> {
  return async (frame) => {
    switch (frame.type) {
      case 'ready':
        await Promise.all([r.inbound.fetchShares(), r.vault.pull().catch(() => undefined)]);
        r.inbound.requestWaiting();
        // [M2] Requests made while this user was offline; answered without holding up the live events.
        void r.keyRequests.answerWaiting().catch(() => undefined);
        return;
      case 'shares':
        await r.inbound.fetchShares();
        return;
      case 'vault':
        // [K9] Another device of the account wrote to the vault (a share it collected, a message it sent): read
        // it now, without holding up the live events behind this frame.
        void r.vault.pull().catch(() => undefined);
        return;
      case 'event':
        return r.live.event(frame.event);
      case 'head':
        return r.integrity.checkHead(frame.head);
      case 'gap':
        return r.integrity.gap(frame.room, frame.from, frame.to);
      case 'presence':
        if (frame.online) r.online.add(frame.user);
        else r.online.delete(frame.user);
        r.emitter.emit('presence', { user: frame.user, online: frame.online });
        return;
      case 'typing':
        r.emitter.emit('typing', { room: frame.room, user: frame.user });
        return;
      case 'key_request':
        void r.keyRequests.answer([frame]).catch(() => undefined);
        return;
      case 'ack':
      case 'error':
      case 'pong':
        return;
    }
  };
}
