// Builds the bundle with Vite's API, so `npm start` on a fresh clone and the browser tests need no extra step.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const PACKAGE_DIR = resolve(import.meta.dirname, '..');
/** Sources whose change makes a build stale: the UI and everything it bundles. */
const SOURCE_DIRS = [
  'packages/web/src/ui',
  'packages/web/index.html',
  'packages/sdk/src',
  'packages/protocol/src',
].map((p) => resolve(PACKAGE_DIR, '..', '..', p));

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

/** Runs `vite build` into outDir (quietly). */
export async function buildBundle(outDir: string): Promise<void> {
  const { build } = await import('vite');
  // vitest and CI set NODE_ENV=test, and Vite then ships React's development build and JSX; a production
  // bundle is what people get, so that is what is built and tested.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      configFile: join(PACKAGE_DIR, 'vite.config.ts'),
      logLevel: 'warn',
      mode: 'production',
      build: { outDir, emptyOutDir: true },
    });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
}

/** Builds when outDir has no bundle or one older than its sources; returns whether it built. */
export async function ensureBuilt(outDir: string): Promise<boolean> {
  const index = join(outDir, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= Math.max(...SOURCE_DIRS.map(newestMtime))) return false;
  await buildBundle(outDir);
  return true;
}
