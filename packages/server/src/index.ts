// @parley/server's public API: start a real server (tests of the SDK and CLI use this).
import { loadConfig, type Config } from './config.ts';
import { start, type RunningServer } from './start.ts';

export type { Config } from './config.ts';
export type { RunningServer } from './start.ts';
export { buildApp, type AppDeps } from './app.ts';

/** Listens on `overrides.port` (0: a free port) with data in `overrides.dataDir`; environment for the rest. */
export function startServer(overrides: Partial<Config> = {}): Promise<RunningServer> {
  return start(loadConfig(overrides));
}
