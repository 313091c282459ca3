// Loaded into Chromium by verifier.test.ts: the Verifier as a bundler builds it, with its worker, and what the
// page's thread would do instead (the protocol's rsaVerify, page-read.ts's readPage) to compare its answers with;
// and the browser's KeyStore with the contract every store keeps.
import { rsaVerify, toB64u } from '@parley/protocol';
import { IdbStore } from '../src/idb-store.ts';
import { readPage, type PageReadResult } from '../src/page-read.ts';
import { Verifier } from '../src/verifier.ts';
import { keyStoreContract } from './key-store-contract.ts';

/** A page read, as JSON-safe values: the answer, and every byte array in base64url. */
export function plain(r: PageReadResult) {
  if (!r.ok) return r;
  const { answer, links, signed } = r.page;
  return {
    ok: true,
    answer,
    hashes: links.hashes.map(toB64u),
    links: links.links.map((l) => l && toB64u(l)),
    signed: signed.map((s) => s && { signature: toB64u(s.signature), data: toB64u(s.data) }),
  };
}

Object.assign(globalThis, { Verifier, rsaVerify, readPage, plain, IdbStore, keyStoreContract });
