// The body of the signature-verification worker (verifier.ts): RSA-PSS verifications [M4] on a thread of
// their own, so that a history page's signatures are checked while the page's hashes, ratchet and AES run on
// the caller's thread. It holds public keys and public bytes only, and answers true or false per item.
import { rsaVerify } from '@parley/protocol';
import type { VerifyRequest, VerifyResponse } from './verifier.ts';

const scope = globalThis as unknown as {
  addEventListener(type: 'message', listener: (e: MessageEvent<VerifyRequest>) => void): void;
  postMessage(message: VerifyResponse): void;
};

scope.addEventListener('message', (e) => {
  const { id, keys, items } = e.data;
  void Promise.all(
    items.map(([k, signature, data]) => {
      const key = keys[k];
      return key ? rsaVerify(key, signature, data) : Promise.resolve(false);
    }),
  ).then((results) => scope.postMessage({ id, results }));
});
