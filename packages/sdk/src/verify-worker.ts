// The body of the signature-verification worker (verifier.ts): RSA-PSS verifications [M4] on a thread of
// their own, so that a history page's signatures are checked while the page's hashes, ratchet and AES run on
// the caller's thread. It holds public keys and public bytes only, and answers true or false per item.
// It calls WebCrypto directly, as @parley/protocol's rsaVerify does (RSA-PSS, SHA-256 from the key, salt 32):
// importing the protocol would bundle zod into the worker (~27 KB gzip). verifier.test.ts checks in Chromium
// that its answers equal rsaVerify's.
import type { VerifyRequest, VerifyResponse } from './verifier.ts';

const PSS = { name: 'RSA-PSS', saltLength: 32 } as const;

const scope = globalThis as unknown as {
  addEventListener(type: 'message', listener: (e: MessageEvent<VerifyRequest>) => void): void;
  postMessage(message: VerifyResponse): void;
};

async function verify(key: CryptoKey | undefined, signature: Uint8Array, data: Uint8Array): Promise<boolean> {
  if (!key) return false;
  try {
    return await crypto.subtle.verify(
      PSS,
      key,
      signature as Uint8Array<ArrayBuffer>,
      data as Uint8Array<ArrayBuffer>,
    );
  } catch {
    return false;
  }
}

scope.addEventListener('message', (e) => {
  const { id, keys, items } = e.data;
  void Promise.all(items.map(([k, signature, data]) => verify(keys[k], signature, data))).then((results) =>
    scope.postMessage({ id, results }),
  );
});
