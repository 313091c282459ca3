// The KeyStore contract (key-store-contract.ts) for the stores that run in Node; IdbStore's is checked in
// Chromium by verifier.test.ts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryKeyStore } from '../src/index.ts';
import { FileKeyStore } from '../src/node.ts';
import { keyStoreContract } from './key-store-contract.ts';

describe('KeyStore contract', () => {
  it('MemoryKeyStore keeps it', async () => {
    expect(await keyStoreContract(new MemoryKeyStore())).toEqual([]);
  });

  it('FileKeyStore keeps it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parley-contract-'));
    try {
      expect(await keyStoreContract(new FileKeyStore(join(dir, 'alice')))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
