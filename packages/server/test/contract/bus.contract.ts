// The Bus contract (STYLE 3): delivery by channel, in publish order, to every process of a deployment;
// presence shared by every process and expiring when one stops without saying goodbye [D6].
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BusConfig } from '../../src/config.ts';
import { createBus, type Bus, type BusMessage } from '../../src/bus/bus.ts';
import type { Backend } from './backends.ts';

const frame = (n: number): BusMessage => ({ kind: 'frame', frame: `{"n":${n}}`, room: 'r', seq: n });

function collect(bus: Bus, channel: `room:${string}`): { got: BusMessage[]; stop: () => void } {
  const got: BusMessage[] = [];
  return { got, stop: bus.subscribe(channel, (m) => got.push(m)) };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A moment for subscriptions to reach the server (Redis SUBSCRIBE is asynchronous). */
const settle = () => new Promise((r) => setTimeout(r, 100));

export function busContract(backend: Backend<BusConfig>, opts: { multiProcess: boolean }): void {
  describe(`Bus contract: ${backend.name}`, () => {
    let deployment: ReturnType<Backend<BusConfig>['deployment']>;
    let a: Bus;
    let b: Bus;

    beforeAll(async () => {
      deployment = backend.deployment();
      a = await createBus(deployment.config);
      // One process: the second "process" is the same bus; several: a second connection to the deployment.
      b = opts.multiProcess ? await createBus(deployment.config) : a;
    });
    afterAll(async () => {
      await a?.close();
      if (b !== a) await b?.close();
      await deployment?.dispose();
    });

    it('[D6] a publication reaches every subscriber of its channel in every process, in order', async () => {
      const here = collect(a, 'room:one');
      const there = collect(b, 'room:one');
      const elsewhere = collect(b, 'room:two');
      await settle();
      for (let n = 1; n <= 50; n++) a.publish('room:one', frame(n));
      await until(() => here.got.length === 50 && there.got.length === 50);
      expect(there.got).toEqual(here.got);
      expect(here.got.map((m) => m.kind === 'frame' && m.seq)).toEqual([...Array(50).keys()].map((i) => i + 1));
      expect(elsewhere.got).toEqual([]);
      for (const c of [here, there, elsewhere]) c.stop();
    });

    it('an unsubscribed handler hears nothing more; a close message carries its fields', async () => {
      const gone = collect(b, 'room:three');
      const stays = collect(a, 'room:three');
      gone.stop();
      await settle();
      a.publish('room:three', { kind: 'close', sessionIds: ['s'], code: 4001, reason: 'revoked' });
      await until(() => stays.got.length === 1);
      expect(stays.got[0]).toEqual({ kind: 'close', sessionIds: ['s'], code: 4001, reason: 'revoked' });
      expect(gone.got).toEqual([]);
      stays.stop();
    });

    it('presence: online while any process holds the user, offline when the last one leaves', async () => {
      expect(await a.join('ann')).toBe(true);
      // The hub joins once per process (its first socket of the user); a second process finds them online.
      if (b !== a) expect(await b.join('ann')).toBe(false);
      expect(await b.onlineAmong(['ann', 'ben'])).toEqual(new Set(['ann']));
      if (b !== a) expect(await a.leave('ann')).toBe(false);
      expect(await b.leave('ann')).toBe(true);
      expect(await a.onlineAmong(['ann'])).toEqual(new Set());
      await a.ping();
    });

    if (opts.multiProcess) {
      it('[D6] a process that stops without leaving: its users expire, announced by one live process', async () => {
        const survivor = b;
        const expired: string[] = [];
        // Whichever live process sweeps first announces; together they announce each user once.
        for (const live of [a, b]) live.onExpired((users) => expired.push(...users));
        const doomed = await createBus(deployment.config);
        expect(await doomed.join('dee')).toBe(true);
        expect(await survivor.join('both')).toBe(true);
        expect(await doomed.join('both')).toBe(false);
        expect(await survivor.onlineAmong(['dee', 'both'])).toEqual(new Set(['dee', 'both']));
        await doomed.close();
        await until(() => expired.length > 0);
        await new Promise((r) => setTimeout(r, 500));
        expect(expired).toEqual(['dee']);
        expect(await survivor.onlineAmong(['dee', 'both'])).toEqual(new Set(['both']));
      });
    }
  });
}
