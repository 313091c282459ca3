// The Bus over Redis for several server processes [D6]. Deliveries use pub/sub: at most once, which is
// all the bus promises, because the store is the source of truth and a connection fills any seq gap from
// it. Every process also hears its own publications, so one process and many deliver the same way.
// Every key and channel starts with the deployment's prefix, so deployments and test runs never collide.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Bus, BusMessage, Channel } from './bus.ts';
import { RedisPresence } from './redis-presence.ts';

export interface RedisBusConfig {
  url: string;
  prefix: string;
  heartbeatMs: number;
}

export class RedisBus implements Bus {
  private readonly handlers = new Map<string, Set<(m: BusMessage) => void>>();
  private readonly presence: RedisPresence;
  private lastError: unknown;

  private constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly config: RedisBusConfig,
  ) {
    const remember = (err: unknown) => (this.lastError = err);
    // Without a listener ioredis prints every reconnect error; readiness reports them instead.
    pub.on('error', remember);
    sub.on('error', remember);
    sub.on('messageBuffer', (channel: Buffer, payload: Buffer) => this.onMessage(channel.toString(), payload));
    this.presence = new RedisPresence(pub, {
      prefix: config.prefix,
      id: randomUUID(),
      heartbeatMs: config.heartbeatMs,
      onError: remember,
    });
  }

  static async connect(config: RedisBusConfig): Promise<RedisBus> {
    const options = { lazyConnect: true, maxRetriesPerRequest: 2 };
    const pub = new Redis(config.url, options);
    const sub = new Redis(config.url, options);
    try {
      await Promise.all([pub.connect(), sub.connect()]);
    } catch (err) {
      pub.disconnect();
      sub.disconnect();
      throw new Error('REDIS_URL: cannot connect to Redis', { cause: err });
    }
    const bus = new RedisBus(pub, sub, config);
    await bus.presence.start();
    return bus;
  }

  private channelKey(channel: Channel): string {
    return `${this.config.prefix}ch:${channel}`;
  }

  private onMessage(key: string, payload: Buffer): void {
    const set = this.handlers.get(key);
    if (!set) return;
    let message: BusMessage;
    try {
      message = JSON.parse(payload.toString('utf8')) as BusMessage;
    } catch (err) {
      this.lastError = err;
      return;
    }
    for (const h of set) h(message);
  }

  publish(channel: Channel, message: BusMessage): void {
    this.pub.publish(this.channelKey(channel), JSON.stringify(message)).catch((err: unknown) => {
      // A lost publication delays delivery; the store still holds the event [D6].
      this.lastError = err;
    });
  }

  subscribe(channel: Channel, handler: (message: BusMessage) => void): () => void {
    const key = this.channelKey(channel);
    let set = this.handlers.get(key);
    if (!set) {
      this.handlers.set(key, (set = new Set()));
      this.sub.subscribe(key).catch((err: unknown) => (this.lastError = err));
    }
    set.add(handler);
    return () => {
      set.delete(handler);
      if (set.size > 0 || this.handlers.get(key) !== set) return;
      this.handlers.delete(key);
      this.sub.unsubscribe(key).catch((err: unknown) => (this.lastError = err));
    };
  }

  join = (user: string) => this.presence.join(user);
  leave = (user: string) => this.presence.leave(user);
  onlineAmong = (users: readonly string[]) => this.presence.onlineAmong(users);
  onExpired = (handler: (users: string[]) => void) => this.presence.onExpired(handler);

  async ping(): Promise<void> {
    if (this.pub.status !== 'ready' || this.sub.status !== 'ready')
      throw new Error('redis not connected', { cause: this.lastError });
    await this.pub.ping();
  }

  async close(): Promise<void> {
    try {
      await this.presence.stop();
    } finally {
      this.handlers.clear();
      await Promise.allSettled([this.pub.quit(), this.sub.quit()]);
    }
  }
}
