// In-process real servers for the attack suites: the server package's own test harness (real app on port 0,
// temp DATA_DIR, real SQLite) with limits raised where a suite needs volume rather than the limit itself.
import type { Config } from '../../packages/server/src/config.ts';
import { startHarness, type Harness } from '../../packages/server/test/harness.ts';

export {
  api,
  connect,
  createRoom,
  envelope,
  keyPool,
  member,
  register,
  registerBody,
  startHarness,
  TestSocket,
  uniqueName,
  type Harness,
  type TestUser,
} from '../../packages/server/test/harness.ts';

const MANY = { perMinute: 10_000_000, burst: 10_000_000 };

/** A server whose rate limits never trigger: fuzzing and load measure robustness, not the limiter. */
export function startUnlimited(overrides: Partial<Config> = {}): Promise<Harness> {
  return startHarness({
    rateLimits: { prelogin: MANY, login: MANY, register: MANY, send: MANY, frames: MANY, keyRequests: MANY },
    ...overrides,
  });
}

/** Rejects when `p` takes longer than `ms`: a hang is a failure, not a stuck test run. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms (hang)`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
