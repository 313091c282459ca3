// Composition: config -> store -> bus -> server identity [S1] -> buildApp -> listen. Used by main.ts (the process)
// and by startServer() (tests and other packages).
import type { Config } from './config.ts';
import { createStore } from './storage/create-store.ts';
import { createBus } from './bus/bus.ts';
import { loadIdentity } from './security/identity.ts';
import { buildApp } from './app.ts';

export interface RunningServer {
  url: string;
  port: number;
  dataDir: string;
  close(): Promise<void>;
}

export async function start(config: Config): Promise<RunningServer> {
  const store = await createStore(config.database);
  let bus;
  try {
    bus = await createBus(config.bus);
  } catch (err) {
    await store.close();
    throw err;
  }
  const { serverKey, serverSecret } = await loadIdentity(config, store);
  const app = await buildApp({ config, store, bus, serverKey, serverSecret });
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  let closing: Promise<void> | undefined;
  return {
    url: `${config.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    dataDir: config.dataDir,
    close: () =>
      (closing ??= (async () => {
        await app.close();
        await bus.close();
        await store.close();
      })()),
  };
}
