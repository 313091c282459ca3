// The account vault on this device [K9]: what the client must not lose (sender-key sessions, pins) is sealed
// under the vault key and written to the server in batches, off the send path; what other devices of the
// account wrote is read back at sign-in and whenever a message lacks its key. The server cannot read, forge,
// move or renumber a record (the AAD binds user, id and version); a record older than one this device has
// seen is refused and reported (`vault` event), never applied.
import {
  MAX_VAULT_BATCH,
  openVaultRecord,
  sealVaultRecord,
  vaultPutResponse,
  vaultResponse,
  type VaultRecord,
} from '@parley/protocol';
import { storeKey, type Ctx } from './context.ts';
import { ParleyError, isParleyError } from './errors.ts';
import type { VaultWarning } from './types.ts';

/** How the records of each kind meet this device's state. */
export interface VaultKinds {
  /** Merges a record another device wrote into what this device holds. */
  apply(id: string, value: unknown): Promise<void>;
  /** This device's value of a record now (after a merge), to write again when another device wrote first. */
  current(id: string): Promise<unknown>;
}

/** Where this device stands: the feed position read up to, and the version of each record it has seen. */
interface VaultState {
  cursor: number;
  versions: Record<string, number>;
}

/** A write waits this long for more records to join its batch. */
const WRITE_DELAY_MS = 200;
/** Tries of a batch another device keeps writing first. */
const MAX_WRITE_TRIES = 4;
const PULL_PAGE = 500;

export class Vault {
  private readonly pending = new Map<string, unknown>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private writing: Promise<void> = Promise.resolve();
  private reading: Promise<void> | null = null;
  private state: VaultState | null = null;
  /** Records already reported, so one the server keeps serving is said once. */
  private readonly reported = new Set<string>();

  constructor(
    private readonly ctx: Ctx,
    private readonly kinds: VaultKinds,
  ) {}

  /**
   * Queues a record for the next batch; nothing is sent now (a send never waits for the vault). Queued during a
   * sign-in too (the pins it makes), and sealed when written, for the user signed in then: a sign-in as someone
   * else forgets what is queued first (forget).
   */
  queueWrite(id: string, value: unknown): void {
    this.pending.set(id, value);
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.flush().catch(() => undefined); // kept pending: written with the next batch, or at logout
    }, WRITE_DELAY_MS);
  }

  /** Writes every queued record now (logout, a CLI command ending); one batch at a time. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const run = this.writing.then(() => this.writePending());
    this.writing = run.catch(() => undefined);
    return run;
  }

  /** Reads and applies what other devices wrote since this device last looked (one read at a time). */
  pull(): Promise<void> {
    this.reading ??= this.readChanges().finally(() => (this.reading = null));
    return this.reading;
  }

  /**
   * [K5] Every record sealed again under `nextKey`, each one version higher: what a password change sends with
   * the re-wrapped keys. The whole vault is read first, so no record is left under the old password.
   */
  async resealAll(nextKey: CryptoKey): Promise<VaultRecord[]> {
    await this.flush();
    const me = this.ctx.me();
    const all: VaultRecord[] = [];
    for (let after = 0, more = true; more;) {
      const page = await this.ctx.api.get(`/api/vault?after=${after}&limit=${PULL_PAGE}`, vaultResponse);
      all.push(...page.records);
      after = page.seq;
      more = page.hasMore;
    }
    return Promise.all(
      all.map(async (r) => {
        const value = await openVaultRecord(me.vault, me.user, r);
        if (value === null) {
          throw new ParleyError(
            'BAD_RESPONSE',
            `vault record ${r.id} does not open under your current password, so it cannot be moved to the new one: nothing was changed`,
          );
        }
        return sealVaultRecord(nextKey, { user: me.user, id: r.id, version: r.version + 1, value });
      }),
    );
  }

  /** After a password change: the records just sent are the versions this device has seen. */
  async resealed(records: readonly VaultRecord[]): Promise<void> {
    const state = await this.load();
    for (const r of records) state.versions[r.id] = r.version;
    await this.save();
  }

  /** Sign-out or another user: nothing of this vault stays in memory (queued records were flushed first). */
  forget(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending.clear();
    this.reported.clear();
    this.state = null;
  }

  private async writePending(): Promise<void> {
    for (let tries = 1; this.pending.size > 0; tries++) {
      const batch = [...this.pending].slice(0, MAX_VAULT_BATCH);
      for (const [id] of batch) this.pending.delete(id);
      const me = this.ctx.me();
      const state = await this.load();
      const records = await Promise.all(
        batch.map(([id, value]) =>
          sealVaultRecord(me.vault, { user: me.user, id, version: (state.versions[id] ?? 0) + 1, value }),
        ),
      );
      try {
        await this.ctx.api.put('/api/vault', { records }, vaultPutResponse);
      } catch (e) {
        // Queued again unless something newer was queued meanwhile.
        for (const [id, value] of batch) if (!this.pending.has(id)) this.pending.set(id, value);
        if (!isParleyError(e, 'VAULT_CONFLICT') || tries >= MAX_WRITE_TRIES) throw e;
        // Another device wrote some of these first: take its versions in, then write the merged values.
        await this.pull();
        for (const [id] of batch) this.pending.set(id, await this.kinds.current(id));
        continue;
      }
      for (const r of records) state.versions[r.id] = Math.max(state.versions[r.id] ?? 0, r.version);
      await this.save();
    }
  }

  private async readChanges(): Promise<void> {
    const me = this.ctx.me();
    const state = await this.load();
    for (let more = true; more;) {
      const page = await this.ctx.api.get(`/api/vault?after=${state.cursor}&limit=${PULL_PAGE}`, vaultResponse);
      for (const r of page.records) {
        const seen = state.versions[r.id] ?? 0;
        if (r.version < seen) {
          this.report(r, {
            kind: 'rollback',
            record: r.id,
            detail: `the server served version ${r.version} of vault record ${r.id}, older than version ${seen} this device has seen; it was not used`,
          });
          continue;
        }
        if (r.version === seen) continue;
        const value = await openVaultRecord(me.vault, me.user, r);
        if (value === null) {
          this.report(r, {
            kind: 'unreadable',
            record: r.id,
            detail: `vault record ${r.id} does not open for ${me.user}: it was forged, moved or sealed under another password; it was not used`,
          });
          continue;
        }
        await this.kinds.apply(r.id, value);
        state.versions[r.id] = r.version;
      }
      state.cursor = Math.max(state.cursor, page.seq);
      more = page.hasMore && page.records.length > 0;
      await this.save();
    }
  }

  private report(r: VaultRecord, w: VaultWarning): void {
    const id = `${w.kind}|${r.id}|${r.version}|${r.iv}`;
    if (this.reported.has(id)) return;
    this.reported.add(id);
    this.ctx.emit('vault', w);
  }

  private async load(): Promise<VaultState> {
    this.state ??= (await this.ctx.store.get<VaultState>(storeKey.vault)) ?? { cursor: 0, versions: {} };
    return this.state;
  }

  private async save(): Promise<void> {
    if (this.state) await this.ctx.store.set(storeKey.vault, this.state);
  }
}
