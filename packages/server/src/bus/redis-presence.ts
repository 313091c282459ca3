// Presence across processes, kept in Redis. Each process has a heartbeat key `proc:<id>` with a TTL; a
// user is online while some process holding one of their sockets still has a live heartbeat. Every
// check-and-change is one Lua script, so two processes leaving at once cannot both think the other stays.
//   <prefix>procs            set of process ids ever registered and not yet swept
//   <prefix>proc:<id>        heartbeat, expires 3 beats after the process stops beating
//   <prefix>user:<name>      set of process ids holding a socket of <name>
//   <prefix>procusers:<id>   set of users with a socket on process <id> (what to clean when it dies)
import type { Redis } from 'ioredis';

const LIVE = `local function live(p) return redis.call('EXISTS', ARGV[1] .. 'proc:' .. p) == 1 end`;

/** KEYS: user set, procusers set; ARGV: prefix, proc id, user. Returns how many OTHER live processes hold the user. */
const JOIN = `${LIVE}
local others = 0
for _, p in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if p ~= ARGV[2] and live(p) then others = others + 1 end
end
redis.call('SADD', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
return others`;

/** Same keys and args as JOIN. Returns 1 when no live process holds the user any more. */
const LEAVE = `${LIVE}
redis.call('SREM', KEYS[1], ARGV[2])
redis.call('SREM', KEYS[2], ARGV[3])
for _, p in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if live(p) then return 0 end
end
return 1`;

/** KEYS: user sets; ARGV: prefix. One 0/1 per key. */
const ONLINE = `${LIVE}
local out = {}
for i, k in ipairs(KEYS) do
  out[i] = 0
  for _, p in ipairs(redis.call('SMEMBERS', k)) do
    if live(p) then out[i] = 1 break end
  end
end
return out`;

/** KEYS: procs; ARGV: prefix, own id. Removes dead processes (SREM makes one sweeper win) and returns
 *  the users that no live process holds any more. */
const SWEEP = `${LIVE}
local expired = {}
for _, p in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if p ~= ARGV[2] and not live(p) and redis.call('SREM', KEYS[1], p) == 1 then
    local pu = ARGV[1] .. 'procusers:' .. p
    for _, u in ipairs(redis.call('SMEMBERS', pu)) do
      local uk = ARGV[1] .. 'user:' .. u
      redis.call('SREM', uk, p)
      local any = false
      for _, q in ipairs(redis.call('SMEMBERS', uk)) do
        if live(q) then any = true break end
      end
      if not any then table.insert(expired, u) end
    end
    redis.call('DEL', pu)
  end
end
return expired`;

export class RedisPresence {
  /** Users with a socket here: re-registered if this process was ever swept by mistake (a long pause). */
  private readonly local = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private closing = false;
  private expired: (users: string[]) => void = () => undefined;

  constructor(
    private readonly redis: Redis,
    private readonly opts: { prefix: string; id: string; heartbeatMs: number; onError: (err: unknown) => void },
  ) {}

  private key(kind: string, name: string): string {
    return `${this.opts.prefix}${kind}:${name}`;
  }

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => {
      this.beat().catch(this.opts.onError);
    }, this.opts.heartbeatMs);
    this.timer.unref();
  }

  onExpired(handler: (users: string[]) => void): void {
    this.expired = handler;
  }

  private async beat(): Promise<void> {
    const { prefix, id, heartbeatMs } = this.opts;
    await this.redis.set(this.key('proc', id), '1', 'PX', heartbeatMs * 3);
    const added = await this.redis.sadd(`${prefix}procs`, id);
    if (added === 1 && this.local.size > 0) {
      for (const u of this.local) await this.run(JOIN, u);
    }
    const gone = (await this.redis.eval(SWEEP, 1, `${prefix}procs`, prefix, id)) as string[];
    if (gone.length > 0) this.expired([...new Set(gone)]);
  }

  private run(script: string, user: string): Promise<unknown> {
    const { prefix, id } = this.opts;
    return this.redis.eval(script, 2, this.key('user', user), this.key('procusers', id), prefix, id, user);
  }

  async join(user: string): Promise<boolean> {
    this.local.add(user);
    return ((await this.run(JOIN, user)) as number) === 0;
  }

  async leave(user: string): Promise<boolean> {
    this.local.delete(user);
    // Shutting down: the heartbeat is gone, so the other processes' sweep announces who went offline.
    if (this.closing) return false;
    return ((await this.run(LEAVE, user)) as number) === 1;
  }

  async onlineAmong(users: readonly string[]): Promise<Set<string>> {
    if (users.length === 0) return new Set();
    const keys = users.map((u) => this.key('user', u));
    const flags = (await this.redis.eval(ONLINE, keys.length, ...keys, this.opts.prefix)) as number[];
    return new Set(users.filter((_, i) => flags[i] === 1));
  }

  /** Graceful stop: drop the heartbeat so the next sweep elsewhere expires this process at once. */
  async stop(): Promise<void> {
    this.closing = true;
    clearInterval(this.timer);
    await this.redis.del(this.key('proc', this.opts.id));
  }
}
