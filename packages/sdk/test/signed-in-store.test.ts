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
    const write = store.set('in:room:bob:s1', { chainKey: 'secret' });
    const wiped = store.clear();
    inner.release();
    await Promise.all([write, wiped]);
    expect(await inner.get('in:room:bob:s1')).toBeUndefined();
  });

  it('[K2] between logout and the next sign-in nothing is written or read, and afterwards both work again', async () => {
    const inner = new MemoryKeyStore();
    await inner.set('account', 'kept');
    const store = new SignedInStore(inner);
    store.close();
    expect(await store.get('account')).toBeUndefined();
    await store.set('read-marks', { room: 3 });
    await store.setMany([['pin:bob', 'key']]);
    expect(await inner.get('read-marks')).toBeUndefined();
    expect(await inner.get('pin:bob')).toBeUndefined();
    store.open();
    expect(await store.get('account')).toBe('kept');
    await store.set('read-marks', { room: 3 });
    expect(await inner.get('read-marks')).toEqual({ room: 3 });
  });
});
