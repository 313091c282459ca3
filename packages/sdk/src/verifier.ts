// Checks off the page's thread [R1] [M4]. Chromium runs WebCrypto on the calling thread, so a history page's
// 200 RSA-PSS verifications, 400 SHA-256 and the parsing and canonical bytes around them were most of the
// page's own time; a dedicated worker does them (verify-worker.ts) while the page's thread ratchets and
// decrypts. Where no worker can be started (Node, a CSP that forbids it, a worker that fails to load or
// breaks), the same functions run here, with the same results.
import { rsaVerify } from '@parley/protocol';
import { readPage, type PageChecks, type PageReadResult } from './page-read.ts';
import type { EventsResponse } from '@parley/protocol';
import { WorkerChannel, type WorkerLike } from './worker-channel.ts';

export interface VerifyItem {
  key: CryptoKey;
  signature: Uint8Array;
  data: Uint8Array;
}

/**
 * To the worker: signatures to verify (distinct keys once, then items as [key index, signature, data]), or
 * the text of a history answer to read (page-read.ts).
 */
export type WorkerJob =
  | { kind: 'verify'; keys: CryptoKey[]; items: [number, Uint8Array, Uint8Array][] }
  | { kind: 'page'; text: string };
/** A page job's answer: the checks; `answer` when it was read on this thread (a worker's is parsed again). */
export type PageCheckResult =
  { ok: true; checks: PageChecks; answer?: EventsResponse } | { ok: false; error: string };
export interface WorkerRequest {
  id: number;
  job: WorkerJob;
}
/** `result`: the job's answer; null when it failed in the worker (it is then done here). */
export interface WorkerResponse {
  id: number;
  result: unknown;
}

/** Below this many signatures a batch is verified here: a round trip to the worker would cost more. */
const MIN_WORKER_BATCH = 8;

/**
 * Two workers: one reads pages, one verifies signatures, so the signatures of one page are verified while the
 * next is read (both are in a worker's queue otherwise, one after the other). `startWorker` makes either.
 */
export class Verifier {
  private readonly reader: WorkerChannel;
  private readonly checker: WorkerChannel;

  constructor(startWorker: (name: string) => WorkerLike | null = defaultWorker) {
    this.reader = new WorkerChannel(() => startWorker('parley-read'));
    this.checker = new WorkerChannel(() => startWorker('parley-verify'));
  }

  /** Verifies every item; the result for item i is at index i. Never rejects: a failure is false. */
  verifyAll(items: readonly VerifyItem[]): Promise<boolean[]> {
    if (items.length < MIN_WORKER_BATCH) return verifyHere(items);
    const keys: CryptoKey[] = [];
    const index = new Map<CryptoKey, number>();
    const packed = items.map(({ key, signature, data }): [number, Uint8Array, Uint8Array] => {
      let k = index.get(key);
      if (k === undefined) index.set(key, (k = keys.push(key) - 1));
      return [k, signature, data];
    });
    // Exactly one boolean per item, or the batch is checked again here.
    const accepts = (r: unknown): r is boolean[] =>
      Array.isArray(r) && r.length === items.length && r.every((x) => typeof x === 'boolean');
    return this.checker.run({ kind: 'verify', keys, items: packed }, () => verifyHere(items), accepts);
  }

  /** Reads the text of a history answer: parsed, validated, hashed, linked (page-read.ts). */
  async readPage(text: string): Promise<PageReadResult> {
    const accepts = (r: unknown): r is PageCheckResult => typeof r === 'object' && r !== null && 'ok' in r;
    const here = async (): Promise<PageCheckResult> => {
      const r = await readPage(text);
      return r.ok ? { ok: true, checks: r.page, answer: r.page.answer } : r;
    };
    const r = await this.reader.run({ kind: 'page', text }, here, accepts);
    if (!r.ok) return r;
    // The worker validated this very text, and JSON.parse is deterministic and the schemas transform nothing
    // (strict objects, no defaults): parsing it again here gives the value it validated, for less than the
    // cost of copying that value over from the worker.
    const answer = r.answer ?? (JSON.parse(text) as EventsResponse);
    return { ok: true, page: { ...r.checks, answer } };
  }

  /** Starts the workers ahead of the first jobs (at sign-in), so those do not wait for them to load. */
  warm(): void {
    this.reader.warm();
    this.checker.warm();
  }

  /** Stops the workers (logout): what they held is done here; later jobs start others. */
  stop(): void {
    this.reader.stop();
    this.checker.stop();
  }
}

function verifyHere(items: readonly VerifyItem[]): Promise<boolean[]> {
  return Promise.all(items.map((i) => rsaVerify(i.key, i.signature, i.data)));
}

function defaultWorker(name: string): WorkerLike | null {
  if (typeof Worker === 'undefined' || typeof window === 'undefined') return null;
  return new Worker(new URL('./verify-worker.ts', import.meta.url), { type: 'module', name });
}
