// The body of the checking worker (verifier.ts): RSA-PSS verifications [M4] and history pages read, parsed,
// validated and hashed [R1] (page-read.ts) on a thread of their own, while the page's thread ratchets and
// decrypts. It holds public keys and public bytes only. verifier.test.ts checks in Chromium that its answers
// equal those of the same functions on the page's thread.
import { rsaVerify } from '@parley/protocol';
import { readPage } from './page-read.ts';
import type { PageCheckResult, WorkerJob, WorkerRequest, WorkerResponse } from './verifier.ts';

const scope = globalThis as unknown as {
  addEventListener(type: 'message', listener: (e: MessageEvent<WorkerRequest>) => void): void;
  postMessage(message: WorkerResponse): void;
};

async function perform(job: WorkerJob): Promise<unknown> {
  if (job.kind === 'page') {
    // The answer itself is not sent back: the page parses the same text (see Verifier.readPage).
    const r = await readPage(job.text);
    return r.ok
      ? ({ ok: true, checks: { links: r.page.links, signed: r.page.signed } } satisfies PageCheckResult)
      : r;
  }
  return Promise.all(
    job.items.map(([k, signature, data]) => {
      const key = job.keys[k];
      return key ? rsaVerify(key, signature, data) : Promise.resolve(false);
    }),
  );
}

scope.addEventListener('message', (e) => {
  const { id, job } = e.data;
  // A job that fails here is answered null, and the page does it itself.
  void perform(job)
    .catch(() => null)
    .then((result) => scope.postMessage({ id, result }));
});
