// `npm start`: the API (packages/server, PORT 8000) and the web client (packages/web, WEB_PORT 5000) side by
// side. Each stays its own entry point — a deployment may run them apart — so this only supervises: it starts
// both, forwards SIGINT / SIGTERM so the API drains [D5], and stops the other when one exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const entries = {
  api: fileURLToPath(new URL('../packages/server/src/main.ts', import.meta.url)),
  web: fileURLToPath(new URL('../packages/web/src/start.ts', import.meta.url)),
};

const children: ChildProcess[] = [];
let exitCode: number | null = null;

function stopAll(signal: NodeJS.Signals): void {
  for (const child of children) if (child.exitCode === null) child.kill(signal);
}

for (const entry of Object.values(entries)) {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { stdio: 'inherit', env: process.env });
  children.push(child);
  child.on('exit', (code, signal) => {
    exitCode ??= code ?? (signal ? 1 : 0);
    stopAll('SIGTERM');
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(exitCode);
  });
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => stopAll(signal));
