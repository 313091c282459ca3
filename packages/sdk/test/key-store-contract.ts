// What every KeyStore promises, as a plain function so that the same checks run in Node (memory, files) and in
// a Chromium page (IndexedDB, through verifier-entry.ts). Returns the promises the store broke: none when empty.
import type { KeyStore } from '../src/types.ts';

export async function keyStoreContract(store: KeyStore): Promise<string[]> {
  const broken: string[] = [];
  const expect = async (key: string, want: unknown, what: string) => {
    if (JSON.stringify(await store.get(key)) !== JSON.stringify(want)) broken.push(what);
  };
  await store.set('a', { n: 1 });
  await store.setMany([
    ['b', { n: 2 }],
    ['c', [1, 2]],
    ['b', { n: 3 }],
  ]);
  await expect('a', { n: 1 }, 'setMany leaves the other keys alone');
  await expect('b', { n: 3 }, 'a later entry for the same key wins');
  await expect('c', [1, 2], 'setMany writes every entry');
  await store.setMany([['a', 'replaced']]);
  await expect('a', 'replaced', 'setMany replaces a stored value');
  await store.setMany([]);
  await expect('c', [1, 2], 'an empty setMany changes nothing');
  await store.delete('a');
  await expect('a', undefined, 'delete forgets a value');
  await store.setMany([
    ['in:r1:alice:s1', 1],
    ['in:r1:bob:s2', 2],
    ['in:r10:alice:s3', 3],
    ['in:r2:alice:s4', 4],
    ['in:r1', 5],
  ]);
  const listed = (await store.list<number>('in:r1:')).sort(([a], [b]) => (a < b ? -1 : 1));
  if (
    JSON.stringify(listed) !==
    JSON.stringify([
      ['in:r1:alice:s1', 1],
      ['in:r1:bob:s2', 2],
    ])
  )
    broken.push('list gives exactly the keys with the prefix, with their values');
  await store.deletePrefix('in:r1:');
  await expect('in:r1:alice:s1', undefined, 'deletePrefix forgets every key with the prefix');
  await expect('in:r1:bob:s2', undefined, 'deletePrefix forgets every key with the prefix (second)');
  await expect('in:r10:alice:s3', 3, 'deletePrefix keeps a key that only shares part of the prefix');
  await expect('in:r2:alice:s4', 4, 'deletePrefix keeps other keys');
  await expect('in:r1', 5, 'deletePrefix keeps a key that is shorter than the prefix');
  if ((await store.list('in:r1:')).length !== 0) broken.push('list gives nothing once deletePrefix ran');
  await store.clear();
  await expect('b', undefined, 'clear forgets what setMany wrote');
  return broken;
}
