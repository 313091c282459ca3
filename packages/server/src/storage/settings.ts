// Deployment-wide settings [S1]: the first writer wins and every process reads the same value back.
// INSERT ... ON CONFLICT DO NOTHING is atomic on both backends, so two processes starting at once can
// never end up with two server keys.
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export async function claimSetting(db: Kysely<Database>, name: string, value: string): Promise<string> {
  await db
    .insertInto('settings')
    .values({ name, value })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await db.selectFrom('settings').select('value').where('name', '=', name).executeTakeFirstOrThrow();
  return row.value;
}

export async function readSetting(db: Kysely<Database>, name: string): Promise<string | undefined> {
  const row = await db.selectFrom('settings').select('value').where('name', '=', name).executeTakeFirst();
  return row?.value;
}
