import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.ts';
import type { Bus } from '../bus/bus.ts';
import type { Store } from '../storage/store.ts';
import type { RateLimiter } from '../security/rate-limit.ts';
import type { KeyRequests } from '../rooms/key-requests.ts';
import type { Hub, Peer } from './hub.ts';
import type { Sequencer } from './sequencer.ts';
import type { HeadSigner } from './head-signer.ts';

/** What the realtime layer is built from. */
export interface RealtimeDeps {
  config: Config;
  store: Store;
  bus: Bus;
  hub: Hub;
  sequencer: Sequencer;
  heads: HeadSigner;
  /** Shared with POST /api/chat: one budget per user, whatever the transport. */
  sendLimiter: RateLimiter;
  keyRequests: KeyRequests;
  log: FastifyBaseLogger;
  connections: Set<Peer>;
  /** Counts frames written to sockets (metrics). */
  deliveries: { inc(n?: number): void };
}
