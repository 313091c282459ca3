// The parts every route and the gateway are built from, wired once in buildApp.
import type { Config } from './config.ts';
import type { Bus } from './bus/bus.ts';
import type { Store } from './storage/store.ts';
import type { ServerKey } from './security/server-key.ts';
import type { Sessions } from './security/sessions.ts';
import type { RateLimiter } from './security/rate-limit.ts';
import type { Hub } from './realtime/hub.ts';
import type { Sequencer } from './realtime/sequencer.ts';
import type { HeadSigner } from './realtime/head-signer.ts';
import type { RoomService } from './rooms/room-service.ts';
import type { KeyRequests } from './rooms/key-requests.ts';

export interface Services {
  config: Config;
  store: Store;
  bus: Bus;
  serverKey: ServerKey;
  serverSecret: Uint8Array;
  sessions: Sessions;
  hub: Hub;
  sequencer: Sequencer;
  heads: HeadSigner;
  rooms: RoomService;
  keyRequests: KeyRequests;
  limits: { prelogin: RateLimiter; login: RateLimiter; register: RateLimiter; send: RateLimiter };
}
