// [K9] The account vault's storage: sealed records per user, each with the client's version and a position in
// the user's change feed (users.vault_seq), so a device reads only what changed since it last looked. The
// server never opens a record; it keeps versions from going backwards, so a device that lost a race is told
// rather than silently overwriting what another device wrote.
import type { Kysely, Transaction } from 'kysely';
import type { VaultRecord } from '@parley/protocol';
import type { Database } from './schema.ts';
import type { VaultPage, VaultRefusal } from './store.ts';

type Db = Kysely<Database> | Transaction<Database>;

export async function vaultAfter(db: Db, user: string, after: number, limit: number): Promise<VaultPage> {
  const rows = await db
    .selectFrom('vault_records')
    .select(['record_id', 'version', 'iv', 'ciphertext', 'seq'])
    .where('user_id', '=', user)
    .where('seq', '>', after)
    .orderBy('seq')
    .limit(limit + 1)
    .execute();
  const records = rows.slice(0, limit).map((r) => ({
    id: r.record_id,
    version: Number(r.version),
    iv: r.iv,
    ciphertext: r.ciphertext,
    seq: Number(r.seq),
  }));
  const last = records.at(-1)?.seq;
  const seq =
    last ??
    Number(
      (await db.selectFrom('users').select('vault_seq').where('id', '=', user).executeTakeFirst())?.vault_seq ??
        after,
    );
  return { records, seq, hasMore: rows.length > limit };
}

/**
 * Writes the records inside `trx`: the user's row is locked first (the feed position update), so two writes of
 * one vault are serialised and each sees the versions the other committed.
 */
export async function writeVault(
  trx: Transaction<Database>,
  user: string,
  records: readonly VaultRecord[],
  rule: { maxRecords: number; mustCoverAll?: boolean },
): Promise<{ seq: number } | VaultRefusal> {
  const moved = await trx
    .updateTable('users')
    .set((eb) => ({ vault_seq: eb('vault_seq', '+', records.length) }))
    .where('id', '=', user)
    .returning('vault_seq')
    .executeTakeFirstOrThrow();
  const stored = new Map(
    (
      await trx.selectFrom('vault_records').select(['record_id', 'version']).where('user_id', '=', user).execute()
    ).map((r) => [r.record_id, Number(r.version)]),
  );
  const stale = records.filter((r) => (stored.get(r.id) ?? 0) >= r.version).map((r) => r.id);
  if (stale.length > 0) return { refused: 'stale', ids: stale };
  if (rule.mustCoverAll) {
    const covered = new Set(records.map((r) => r.id));
    if ([...stored.keys()].some((id) => !covered.has(id))) return { refused: 'incomplete' };
  }
  const added = records.filter((r) => !stored.has(r.id)).length;
  if (stored.size + added > rule.maxRecords) return { refused: 'full' };
  let seq = Number(moved.vault_seq) - records.length;
  for (const r of records) {
    seq += 1;
    const row = { version: r.version, iv: r.iv, ciphertext: r.ciphertext, seq };
    if (stored.has(r.id)) {
      await trx
        .updateTable('vault_records')
        .set(row)
        .where('user_id', '=', user)
        .where('record_id', '=', r.id)
        .execute();
    } else {
      await trx
        .insertInto('vault_records')
        .values({ user_id: user, record_id: r.id, ...row })
        .execute();
    }
  }
  return { seq };
}
