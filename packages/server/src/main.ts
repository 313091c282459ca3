// The process entry point (`npm start`): configuration from the environment, then listen; SIGTERM and
// SIGINT drain [D5]: stop accepting, commit and ack what was taken, close sockets with 1001, exit.
import { loadConfig } from './config.ts';
import { start } from './start.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  }
  const server = await start(config);
  console.log(`parley server listening on ${server.url} (data in ${server.dataDir})`);
  const stop = (signal: string) => {
    console.log(`${signal}: draining`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('shutdown failed', err);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  console.error('parley server failed to start', err);
  process.exit(1);
});
