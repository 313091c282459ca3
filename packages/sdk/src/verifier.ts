// RSA-PSS verification off the page's thread [M4]. Chromium runs WebCrypto on the calling thread, so the
// 1,000 signatures of five history pages were ~150 ms of the page's own time; a dedicated worker checks them
// in parallel with the rest of the page (hashes, ratchet, AES, parsing). Where no worker can be started
// (Node, a CSP that forbids it, a worker that fails to load), verification runs here, with the same result.
import { rsaVerify } from '@parley/protocol';

export interface VerifyItem {
  key: CryptoKey;
  signature: Uint8Array;
  data: Uint8Array;
}

/** To the worker: distinct keys once, then items as [key index, signature, data]. */
export interface VerifyRequest {
  id: number;
  keys: CryptoKey[];
  items: [number, Uint8Array, Uint8Array][];
}
export interface VerifyResponse {
  id: number;
  results: boolean[];
}

/** Below this many signatures a batch is verified here: a round trip to the worker would cost more. */
const MIN_WORKER_BATCH = 8;

type WorkerLike = Pick<Worker, 'postMessage' | 'addEventListener' | 'terminate'>;

export class Verifier {
  private worker: WorkerLike | null | undefined;
  private readonly pending = new Map<number, { items: readonly VerifyItem[]; done: (r: boolean[]) => void }>();
  private nextId = 1;

  constructor(private readonly startWorker: () => WorkerLike | null = defaultWorker) {}

  /** Verifies every item; the result for item i is at index i. Never rejects: a failure is false. */
  verifyAll(items: readonly VerifyItem[]): Promise<boolean[]> {
    const worker = items.length >= MIN_WORKER_BATCH ? this.ensureWorker() : null;
    if (!worker) return verifyHere(items);
    const keys: CryptoKey[] = [];
    const index = new Map<CryptoKey, number>();
    const request: VerifyRequest = {
      id: this.nextId++,
      keys,
      items: items.map(({ key, signature, data }) => {
        let k = index.get(key);
        if (k === undefined) index.set(key, (k = keys.push(key) - 1));
        return [k, signature, data];
      }),
    };
    return new Promise((resolve) => {
      this.pending.set(request.id, { items, done: resolve });
      try {
        worker.postMessage(request);
      } catch {
        this.fail();
      }
    });
  }

  /** Stops the worker (logout): what it held is verified here; a later call starts another. */
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
      if (isCurrent()) this.answered((e as MessageEvent<VerifyResponse>).data);
    });
    for (const type of ['error', 'messageerror'] as const) {
      worker?.addEventListener(type, () => {
        if (isCurrent()) this.fail();
      });
    }
    this.worker = worker;
    return worker;
  }

  private answered(r: VerifyResponse): void {
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    // Exactly one boolean per item, or the batch is checked again here.
    if (r.results.length === p.items.length && r.results.every((x) => typeof x === 'boolean')) p.done(r.results);
    else void verifyHere(p.items).then(p.done);
  }

  /** The worker could not start or broke: it is not used again, and what it held is verified here. */
  private fail(): void {
    this.worker?.terminate();
    this.worker = null;
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) void verifyHere(p.items).then(p.done);
  }
}

function verifyHere(items: readonly VerifyItem[]): Promise<boolean[]> {
  return Promise.all(items.map((i) => rsaVerify(i.key, i.signature, i.data)));
}

function defaultWorker(): WorkerLike | null {
  if (typeof Worker === 'undefined' || typeof window === 'undefined') return null;
  return new Worker(new URL('./verify-worker.ts', import.meta.url), { type: 'module', name: 'parley-verify' });
}
