// Processes under measurement: servers pinned to core 0, the generator (this process) to core 1, CPU time and
// memory read from /proc so every target is measured the same way, from outside.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';

export const SERVER_CORE = 0;
export const GENERATOR_CORE = 1;

/** Clock ticks per second for utime/stime in /proc/PID/stat (`getconf CLK_TCK`, 100 on Linux). */
export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Pins every thread of this process to the generator core; later threads inherit it. */
export function pinSelf(core = GENERATOR_CORE): boolean {
  try {
    execFileSync('taskset', ['-a', '-cp', String(core), String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** utime + stime of a whole process (all threads), in microseconds. */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may itself contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1e6) / CLK_TCK;
}

/** Sum of the scheduler's run time of every thread of a process, in microseconds (ns precision). */
export function schedMicros(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // a thread that ended between readdir and read
    }
  }
  return ns / 1000;
}

/**
 * Server CPU time in microseconds: the scheduler's per-thread run time (ns precision) where the kernel exposes
 * it, else utime + stime from /proc/PID/stat (10 ms ticks, too coarse for sub-second runs). Both count every
 * thread, user and kernel time alike.
 */
export function serverCpuMicros(pid: number): number {
  return SCHEDSTAT ? schedMicros(pid) : cpuMicros(pid);
}
const SCHEDSTAT = (() => {
  try {
    // Some kernels expose the file but keep run time at 0 (schedstats off): then it is no clock at all.
    return Number(readFileSync(`/proc/${process.pid}/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) > 0;
  } catch {
    return false;
  }
})();

/** Resident set size in bytes (VmRSS). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

export interface ServerProcess {
  pid: number;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
  /** A full V8 garbage collection in the server (over the inspector; a no-op without `inspect`). */
  collectGarbage(): Promise<void>;
}

/** HeapProfiler.collectGarbage over the inspector protocol: the server needs no cooperation. */
async function collectGarbage(url: string): Promise<void> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const done = new Promise((resolve) =>
    ws.on('message', (d: Buffer) => d.toString().includes('"id":1') && resolve(null)),
  );
  ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
  await done;
  ws.close();
}

export interface SpawnOptions {
  /** Node arguments after `node` (e.g. ['--import', 'tsx', 'file.ts']). */
  args: string[];
  env?: Record<string, string>;
  /** Reads the port from a line of the child's stdout; null for lines that do not announce it. */
  portFromLine: (line: string) => number | null;
  /** How long to wait for the port line, in ms (default 30 000). */
  startTimeoutMs?: number;
  /** Open the V8 inspector on a free loopback port, so the generator can force a full GC (memory runs). */
  inspect?: boolean;
}

/** Starts a server as its own process on the server core with NODE_ENV=production; resolves once it listens. */
export function spawnServer(o: SpawnOptions): Promise<ServerProcess> {
  const inspectArgs = o.inspect ? ['--inspect=127.0.0.1:0'] : [];
  const child = spawn('taskset', ['-c', String(SERVER_CORE), process.execPath, ...inspectArgs, ...o.args], {
    env: { ...process.env, NODE_ENV: 'production', ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  let inspector: string | null = null;
  child.stderr.on('data', (d: Buffer) => {
    const text = d.toString();
    inspector ??= /Debugger listening on (ws:\/\/\S+)/.exec(text)?.[1] ?? null;
    stderr.push(text);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error('server did not announce its port in time')),
      o.startTimeoutMs ?? 30_000,
    );
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${err.message}\n${stderr.join('').slice(-2000)}`));
    };
    child.once('exit', (code) => fail(new Error(`server exited with code ${String(code)} before listening`)));
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const port = o.portFromLine(line);
      if (port === null || child.pid === undefined) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({
        pid: child.pid,
        port,
        child,
        stop: () => stopChild(child),
        collectGarbage: () => (inspector ? collectGarbage(inspector) : Promise.resolve()),
      });
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * CPU time every process of the machine used, in microseconds (the busy fields of /proc/stat's first line:
 * user, nice, system, irq, softirq, steal), to tell how much of a run's CPU went to processes outside it.
 */
export function machineBusyMicros(): number {
  try {
    const f = readFileSync('/proc/stat', 'utf8').slice(0, 200).split('\n')[0]!.trim().split(/\s+/).map(Number);
    const [, user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
    return ((user + nice + system + irq + softirq + steal) * 1e6) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
}

/** CPU this process used, in microseconds, for the generator-saturation check. */
export const selfCpuMicros = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
