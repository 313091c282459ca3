// One worker thread and the jobs sent to it (verifier.ts): each job carries its own fallback, so a worker
// that cannot start (Node, a CSP that forbids it, a script that fails to load) or breaks later leaves its
// jobs, and every later one, to the calling thread, with the same results.
import type { WorkerJob, WorkerRequest, WorkerResponse } from './verifier.ts';

export type WorkerLike = Pick<Worker, 'postMessage' | 'addEventListener' | 'terminate'>;

interface Pending {
  /** The same job on this thread: used when the worker breaks or answers out of shape. */
  here: () => Promise<unknown>;
  accepts: (result: unknown) => boolean;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

export class WorkerChannel {
  private worker: WorkerLike | null | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly startWorker: () => WorkerLike | null) {}

  /** Runs `job` in the worker; `here` when there is none, it breaks, or its answer is not `accepts`'. */
  run<T>(job: WorkerJob, here: () => Promise<T>, accepts: (r: unknown) => r is T): Promise<T> {
    const worker = this.ensureWorker();
    if (!worker) return here();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { here, accepts, resolve: resolve as (r: unknown) => void, reject });
      try {
        worker.postMessage({ id, job } satisfies WorkerRequest);
      } catch {
        this.fail();
      }
    });
  }

  /** Starts the worker ahead of its first job, so that job does not wait for it to load. */
  warm(): void {
    this.ensureWorker();
  }

  /** Stops the worker (logout): what it held is done here; a later job starts another. */
  stop(): void {
    this.fail();
    this.worker = undefined;
  }

  private ensureWorker(): WorkerLike | null {
    if (this.worker !== undefined) return this.worker;
    let worker: WorkerLike | null;
    try {
      worker = this.startWorker();
    } catch {
      worker = null;
    }
    // Events of a worker already stopped or replaced are ignored.
    const isCurrent = () => worker !== null && this.worker === worker;
    worker?.addEventListener('message', (e) => {
      if (isCurrent()) this.answered((e as MessageEvent<WorkerResponse>).data);
    });
    for (const type of ['error', 'messageerror'] as const) {
      worker?.addEventListener(type, () => {
        if (isCurrent()) this.fail();
      });
    }
    this.worker = worker;
    return worker;
  }

  private answered(r: WorkerResponse): void {
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    if (p.accepts(r.result)) p.resolve(r.result);
    else doHere(p);
  }

  /** The worker could not start or broke: it is not used again, and what it held is done here. */
  private fail(): void {
    this.worker?.terminate();
    this.worker = null;
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) doHere(p);
  }
}

function doHere(p: Pending): void {
  p.here().then(p.resolve, p.reject);
}
