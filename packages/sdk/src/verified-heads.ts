// Which server heads carry a valid signature by the pinned server key [M5]. A head verified once with the
// same seq, chain and signature is not verified again (a page repeats the heads of the pages before it), and
// fresh ones are verified concurrently.
import { fromB64u, headBytes, rsaVerify, type Head } from '@parley/protocol';
import type { Pins } from './pins.ts';

/** Head signatures remembered as verified, so a page that repeats them costs no RSA. */
const MEMORY = 20_000;

// Every signed field is in the id: a cached verification never vouches for a head that differs in any.
const headId = (h: Head) => `${h.room}|${h.seq}|${h.ts}|${h.chain}|${h.signature}`;

export class VerifiedHeads {
  private readonly ids = new Set<string>();

  constructor(private readonly pins: Pins) {}

  /** For each head, in order: whether its signature is valid. */
  async check(heads: readonly Head[]): Promise<boolean[]> {
    const fresh = heads.filter((h) => !this.ids.has(headId(h)));
    const key = fresh.length > 0 ? await this.pins.serverKey() : null;
    await Promise.all(
      fresh.map(async (head) => {
        const { signature, ...unsigned } = head;
        if (key && (await rsaVerify(key, fromB64u(signature), headBytes(unsigned)))) this.remember(headId(head));
      }),
    );
    return heads.map((h) => this.ids.has(headId(h)));
  }

  private remember(id: string): void {
    this.ids.add(id);
    if (this.ids.size > MEMORY) {
      const oldest = this.ids.values().next();
      if (!oldest.done) this.ids.delete(oldest.value);
    }
  }
}
