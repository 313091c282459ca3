// The only file that reads process.env (STYLE 7). Every option has a unit in its name and a default; the
// resolved config is frozen; a bad variable fails at start with a message naming it.
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** `schema` (DATABASE_SCHEMA, default public) lets test runs and deployments share one PostgreSQL. */
export type DatabaseConfig =
  | { kind: 'sqlite'; path: string; /** default full */ synchronous?: SqliteSynchronous }
  | { kind: 'postgres'; url: string; schema: string };

/**
 * Always `full` from the environment: a commit is on disk before its ack [D1]. `normal` (WAL) can lose the last
 * commits on power loss, `off` on any OS crash: both break [D1], so only the benchmark sets them, in code
 * (bench/src/targets/parley-variant.ts), to measure what the fsync costs.
 */
export type SqliteSynchronous = 'full' | 'normal' | 'off';

/**
 * [M5] Head countersigning, off the ack path: a room's head is signed at most every `intervalMs` or after
 * `maxEvents` unsigned events, whichever comes first, on a history read and on drain [D5].
 * `enabled` is always true from the environment: a server without heads breaks [M5]; only the benchmark
 * turns it off, in code, to measure what countersigning costs.
 */
export interface HeadSigningConfig {
  readonly enabled: boolean;
  /**
   * HEAD_SIGN_INTERVAL_MS; default 1000. An RSA-3072 signature is milliseconds of CPU: a much shorter interval
   * spends a busy room's fan-out CPU on heads (docs/performance.md). Clients wait 5 s for a head before they warn.
   */
  readonly intervalMs: number;
  /** HEAD_SIGN_MAX_EVENTS; default 1000. */
  readonly maxEvents: number;
}

/** REDIS_URL selects Redis; every key and channel starts with `prefix` (REDIS_PREFIX, default "parley:"). */
export type BusConfig =
  | { kind: 'local' }
  | { kind: 'redis'; url: string; prefix: string; /** presence heartbeat; default 5 s */ heartbeatMs: number };

/** A token bucket: `perMinute` refill, `burst` capacity. */
export interface RateLimit {
  readonly perMinute: number;
  readonly burst: number;
}

export interface Config {
  /** Default 8000; 0 picks a free port. */
  readonly port: number;
  /** Default 0.0.0.0. */
  readonly host: string;
  /** Default ./data: server key, server secret, SQLite file. */
  readonly dataDir: string;
  /** Exact Origins allowed for cookie auth and WebSocket upgrades. */
  readonly allowedOrigins: readonly string[];
  /** pino level; default info. */
  readonly logLevel: string;
  /** Default: sqlite file DATA_DIR/parley.db. */
  readonly database: DatabaseConfig;
  /** Default 7 days. */
  readonly sessionIdleMs: number;
  /** Default 30 days. */
  readonly sessionAbsoluteMs: number;
  /** WebSocket maxPayload; default 128 KiB. */
  readonly maxFrameBytes: number;
  /** A socket whose send buffer passes this is closed [D4]; default 4 MiB. */
  readonly maxBufferedBytes: number;
  /** HTTP body limit; default 256 KiB. */
  readonly bodyLimitBytes: number;
  readonly rateLimits: {
    /** Per client IP. */
    readonly prelogin: RateLimit;
    readonly login: RateLimit;
    readonly register: RateLimit;
    /** Per user, HTTP and WebSocket sends together. */
    readonly send: RateLimit;
    /** Per WebSocket connection, every frame. */
    readonly frames: RateLimit;
    /** Per user, key requests [M2] over HTTP and WebSocket together. */
    readonly keyRequests: RateLimit;
  };
  /** Failed logins per account per hour before 429 (ASVS 2.2.1); default 100. */
  readonly maxFailedLoginsPerHour: number;
  /** Default local (one process); REDIS_URL for several. */
  readonly bus: BusConfig;
  /** Where the server key [S1] lives: DATA_DIR files, or the database so every process shares it.
   *  SERVER_KEY_STORE; default database on PostgreSQL, file on SQLite. */
  readonly identity: 'file' | 'database';
  /** TLS_CERT + TLS_KEY (PEM file paths); null serves plain HTTP (behind a TLS-terminating proxy). */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | null;
  /** Fastify trustProxy: TRUST_PROXY=true | hop count | comma list of proxy addresses; default false. */
  readonly trustProxy: boolean | number | readonly string[];
  readonly headSigning: HeadSigningConfig;
}

export const DEFAULT_ALLOWED_ORIGINS = [
  'http://localhost:5000',
  'http://127.0.0.1:5000',
  // The web client's development server (npm run dev -w @parley/web).
  'http://localhost:5173',
  'http://localhost:8000',
  'http://127.0.0.1:8000',
];

type Env = Readonly<Record<string, string | undefined>>;

class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

function int(env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function limit(env: Env, name: string, perMinute: number, burst: number): RateLimit {
  return { perMinute: int(env, `${name}_PER_MIN`, perMinute, 1), burst: int(env, `${name}_BURST`, burst, 1) };
}

function origins(env: Env): string[] {
  const raw = env.ALLOWED_ORIGINS;
  if (raw === undefined || raw.trim() === '') return DEFAULT_ALLOWED_ORIGINS;
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const o of list) {
    let url: URL;
    try {
      url = new URL(o);
    } catch {
      throw new ConfigError('ALLOWED_ORIGINS', `has "${o}", which is not an origin like https://chat.example.com`);
    }
    if (url.origin !== o) throw new ConfigError('ALLOWED_ORIGINS', `has "${o}"; write it as "${url.origin}"`);
  }
  return list;
}

function database(env: Env, dataDir: string): DatabaseConfig {
  const url = env.DATABASE_URL;
  const synchronous: SqliteSynchronous = 'full';
  if (url === undefined || url === '')
    return { kind: 'sqlite', path: path.join(dataDir, 'parley.db'), synchronous };
  if (/^postgres(ql)?:\/\//.test(url)) {
    const schema = env.DATABASE_SCHEMA || 'public';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
      throw new ConfigError('DATABASE_SCHEMA', `must be a lower-case SQL identifier, got "${schema}"`);
    return { kind: 'postgres', url, schema };
  }
  if (url.startsWith('sqlite:'))
    return { kind: 'sqlite', path: path.resolve(url.slice('sqlite:'.length)), synchronous };
  throw new ConfigError('DATABASE_URL', 'must start with sqlite: or postgres://');
}

function bus(env: Env): BusConfig {
  const url = env.REDIS_URL;
  if (url === undefined || url === '') return { kind: 'local' };
  if (!/^rediss?:\/\//.test(url)) throw new ConfigError('REDIS_URL', 'must start with redis:// or rediss://');
  const prefix = env.REDIS_PREFIX ?? 'parley:';
  if (!/^[\w:.-]{1,64}$/.test(prefix))
    throw new ConfigError('REDIS_PREFIX', 'must be 1-64 letters, digits, or _ : . -');
  return { kind: 'redis', url, prefix, heartbeatMs: int(env, 'PRESENCE_HEARTBEAT_MS', 5000, 500, 60_000) };
}

function identity(env: Env, db: DatabaseConfig): Config['identity'] {
  const raw = env.SERVER_KEY_STORE;
  if (raw === undefined || raw === '') return db.kind === 'postgres' ? 'database' : 'file';
  if (raw === 'file' || raw === 'database') return raw;
  throw new ConfigError('SERVER_KEY_STORE', `must be file or database, got "${raw}"`);
}

function readable(name: string, file: string): string {
  try {
    accessSync(file, constants.R_OK);
  } catch {
    throw new ConfigError(name, `names "${file}", which is not a readable file`);
  }
  return path.resolve(file);
}

function tls(env: Env): Config['tls'] {
  const cert = env.TLS_CERT || undefined;
  const key = env.TLS_KEY || undefined;
  if (!cert && !key) return null;
  if (!cert || !key) throw new ConfigError(cert ? 'TLS_KEY' : 'TLS_CERT', 'must be set together with the other');
  return { certFile: readable('TLS_CERT', cert), keyFile: readable('TLS_KEY', key) };
}

function trustProxy(env: Env): Config['trustProxy'] {
  const raw = (env.TRUST_PROXY ?? '').trim();
  if (raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return int(env, 'TRUST_PROXY', 0, 1, 10);
  const list = raw.split(',').map((s) => s.trim());
  if (list.some((a) => !/^[\d.:a-fA-F/]+$/.test(a)))
    throw new ConfigError('TRUST_PROXY', 'must be true, false, a hop count or a comma list of IPs/CIDRs');
  return list;
}

function headSigning(env: Env): HeadSigningConfig {
  return {
    enabled: true,
    intervalMs: int(env, 'HEAD_SIGN_INTERVAL_MS', 1000, 1, 60_000),
    maxEvents: int(env, 'HEAD_SIGN_MAX_EVENTS', 1000, 1),
  };
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function fromEnv(env: Env, dataDirOverride?: string): Config {
  const dataDir = path.resolve(dataDirOverride ?? env.DATA_DIR ?? './data');
  const logLevel = env.LOG_LEVEL ?? 'info';
  if (!LOG_LEVELS.includes(logLevel))
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  const db = database(env, dataDir);
  return {
    port: int(env, 'PORT', 8000, 0, 65535),
    host: env.HOST ?? '0.0.0.0',
    dataDir,
    allowedOrigins: origins(env),
    logLevel,
    database: db,
    sessionIdleMs: int(env, 'SESSION_IDLE_MS', 7 * 24 * 3600_000, 60_000),
    sessionAbsoluteMs: int(env, 'SESSION_ABSOLUTE_MS', 30 * 24 * 3600_000, 60_000),
    maxFrameBytes: int(env, 'MAX_FRAME_BYTES', 128 * 1024, 1024),
    maxBufferedBytes: int(env, 'MAX_BUFFERED_BYTES', 4 * 1024 * 1024, 1024),
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 256 * 1024, 1024),
    rateLimits: {
      prelogin: limit(env, 'RATE_PRELOGIN', 120, 60),
      login: limit(env, 'RATE_LOGIN', 60, 30),
      register: limit(env, 'RATE_REGISTER', 30, 30),
      send: limit(env, 'RATE_SEND', 3000, 500),
      frames: limit(env, 'RATE_FRAMES', 12_000, 1000),
      keyRequests: limit(env, 'RATE_KEY_REQUESTS', 600, 300),
    },
    maxFailedLoginsPerHour: int(env, 'MAX_FAILED_LOGINS_PER_HOUR', 100, 1),
    bus: bus(env),
    identity: identity(env, db),
    tls: tls(env),
    trustProxy: trustProxy(env),
    headSigning: headSigning(env),
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Reads the environment, applies `overrides` (tests: port 0, a temp dataDir) and freezes the result. The
 * database default follows the final dataDir. Throws a ConfigError naming the bad variable.
 */
export function loadConfig(overrides: Partial<Config> = {}): Config {
  const base = fromEnv(process.env, overrides.dataDir);
  const config: Config = { ...base, ...overrides, dataDir: base.dataDir };
  if (config.sessionIdleMs > config.sessionAbsoluteMs) {
    throw new ConfigError('SESSION_IDLE_MS', 'must not exceed SESSION_ABSOLUTE_MS');
  }
  return deepFreeze(config);
}
