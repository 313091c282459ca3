// Loads the Project Wycheproof vectors copied into test/vectors/ (Apache-2.0, see test/vectors/LICENSE), so a
// clone tests without /work/shared. Only the fields the suites read are typed.
import { readFileSync } from 'node:fs';

export type WycheproofResult = 'valid' | 'invalid' | 'acceptable';

export interface WycheproofFile<G> {
  algorithm: string;
  numberOfTests: number;
  testGroups: G[];
}

export function loadVectors<G>(file: string): WycheproofFile<G> {
  const url = new URL(`./vectors/${file}`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as WycheproofFile<G>;
}

export function hex(text: string): Uint8Array {
  if (text.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(text)) throw new RangeError(`hex: bad input ${text}`);
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export const toHex = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** Tallies outcomes per expected result, so each suite asserts its counts instead of printing them. */
export class Tally {
  readonly seen = { valid: 0, invalid: 0, acceptable: 0 };
  readonly passed = { valid: 0, invalid: 0, acceptable: 0 };
  readonly failures: string[] = [];

  record(result: WycheproofResult, tcId: number, ok: boolean): void {
    this.seen[result]++;
    if (ok) this.passed[result]++;
    else this.failures.push(`tcId ${tcId} (${result})`);
  }

  get total(): number {
    return this.seen.valid + this.seen.invalid + this.seen.acceptable;
  }
}
