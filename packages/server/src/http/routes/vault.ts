// [K9] The account vault: GET reads what changed after a feed position, PUT writes sealed records. The server
// stores ciphertext it cannot open, keyed by the signed-in user; it only keeps versions from going backwards.
import type { FastifyInstance } from 'fastify';
import { MAX_VAULT_RECORDS, vaultPutRequest } from '@parley/protocol';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import type { Services } from '../../services.ts';
import type { VaultRefusal } from '../../storage/store.ts';
import { parse } from '../errors.ts';
import { caller, requireAuth } from '../auth.ts';

const VAULT_FRAME = JSON.stringify({ type: 'vault' });

const vaultQuery = z.strictObject({
  after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(500),
});

/** The refusal in words a person (or the SDK) can act on. */
export function vaultRefused(r: VaultRefusal): AppError {
  switch (r.refused) {
    case 'stale':
      return new AppError(
        'VAULT_CONFLICT',
        `${r.ids.length} vault record(s) were written by another device first (${r.ids.slice(0, 3).join(', ')}): read them and write again`,
      );
    case 'incomplete':
      return new AppError(
        'VAULT_CONFLICT',
        'the vault changed while the password was being changed (another device wrote to it): try again',
      );
    case 'full':
      return new AppError('VAULT_FULL', `the vault holds at most ${MAX_VAULT_RECORDS} records`);
  }
}

export function vaultRoutes(app: FastifyInstance, s: Services): void {
  const auth = { preHandler: requireAuth(s) };

  app.get('/api/vault', auth, async (req) => {
    const q = parse(vaultQuery, req.query, 'query');
    return s.store.vaultAfter(caller(req).session.user, q.after, q.limit);
  });

  app.put('/api/vault', auth, async (req) => {
    const { records } = parse(vaultPutRequest, req.body);
    if (new Set(records.map((r) => r.id)).size !== records.length)
      throw new AppError('BAD_REQUEST', 'a vault write names each record once');
    const user = caller(req).session.user;
    const written = await s.store.putVault(user, records, MAX_VAULT_RECORDS);
    if ('refused' in written) throw vaultRefused(written);
    // Every device of the account that is online reads what changed (the writer's own too: it skips its own).
    s.bus.publish(`user:${user}`, { kind: 'frame', frame: VAULT_FRAME });
    return written;
  });
}
