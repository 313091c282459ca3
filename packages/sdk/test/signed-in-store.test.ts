// Logout wipes the key store; work still under way when it happens must not write anything back.
import { describe, expect, it } from 'vitest';
import { MemoryKeyStore } from '../src/index.ts';
import { SignedInStore } from '../src/signed-in-store.ts';

/** A store whose writes land only once the test lets them: a write caught in flight by logout. */
class SlowStore extends MemoryKeyStore {
  release!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.release = resolve));
  override async set(key: string, value: unknown): Promise<void> {
    await this.gate;
    return super.set(key, value);
  }
}

describe('SignedInStore', () => {
  it('[K2] a write under way when logout wipes the store is wiped with it', async () => {
    const inner = new SlowStore();
    const store = new SignedInStore(inner);
    store.open('alice');
    const write = store.set('in:room:bob:s1', { chainKey: 'secret' });
    const wiped = store.clear();
    inner.release();
    await Promise.all([write, wiped]);
    expect(await inner.get('alice/in:room:bob:s1')).toBeUndefined();
  });

  it('[K2] between logout and the next sign-in nothing is written or read, and afterwards both work again', async () => {
    const inner = new MemoryKeyStore();
    await inner.set('alice/account', 'kept');
    const store = new SignedInStore(inner);
    store.open('alice');
    store.close();
    expect(await store.get('account')).toBeUndefined();
    await store.set('read-marks', { room: 3 });
    await store.setMany([['pin:bob', 'key']]);
    expect(await inner.get('alice/read-marks')).toBeUndefined();
    expect(await inner.get('alice/pin:bob')).toBeUndefined();
    store.open('alice');
    expect(await store.get('account')).toBe('kept');
    await store.set('read-marks', { room: 3 });
    expect(await inner.get('alice/read-marks')).toEqual({ room: 3 });
  });

  it("one person per store: bob's partition never reads alice's records, and each resumes as the last sign-in", async () => {
    const inner = new MemoryKeyStore();
    const store = new SignedInStore(inner);
    expect(await store.lastUser()).toBeUndefined();
    store.open('alice');
    await store.setMany([
      ['pin:carol', { verified: true }],
      ['in:room:carol:s1', { chainKey: 'alice-only' }],
    ]);
    await store.remember();
    store.open('bob');
    expect(await store.get('pin:carol')).toBeUndefined();
    expect(await store.get('in:room:carol:s1')).toBeUndefined();
    expect(await store.lastUser()).toBe('alice');
    await store.set('pin:carol', { verified: false });
    await store.remember();
    expect(await store.lastUser()).toBe('bob');
    store.open('alice');
    expect(await store.get('pin:carol')).toEqual({ verified: true });
  });
});
