// Fingerprints and safety numbers [K6].
import { fromB64u } from './bytes.ts';
import { canonical } from './canonical.ts';
import { sha256 } from './crypto/primitives.ts';

export interface PublicKeysB64 {
  signing: string;
  encryption: string;
}

export const fingerprint = (userId: string, keys: PublicKeysB64): Promise<Uint8Array> =>
  sha256(canonical('fingerprint', [userId, fromB64u(keys.signing), fromB64u(keys.encryption)]));

/** Hex in groups of four, for a person to read aloud. */
export const formatFingerprint = (fp: Uint8Array): string =>
  Array.from(fp, (b) => b.toString(16).padStart(2, '0'))
    .join('')
    .replace(/(.{4})(?!$)/g, '$1 ');

/** 30 digits from the first 30 bytes of a fingerprint: six 40-bit big-endian chunks, each mod 100 000. */
function digits(fp: Uint8Array): string[] {
  const groups: string[] = [];
  for (let i = 0; i < 6; i++) {
    let n = 0;
    for (let j = 0; j < 5; j++) n = n * 256 + fp[i * 5 + j]!;
    groups.push(String(n % 100_000).padStart(5, '0'));
  }
  return groups;
}

/** 12 groups of 5 digits (as Signal): each user's 30 digits, users ordered by id, so both sides read the same. */
export async function safetyNumber(
  a: { userId: string; keys: PublicKeysB64 },
  b: { userId: string; keys: PublicKeysB64 },
): Promise<string> {
  const [first, second] = a.userId < b.userId ? [a, b] : [b, a];
  const fpFirst = await fingerprint(first.userId, first.keys);
  const fpSecond = await fingerprint(second.userId, second.keys);
  return [...digits(fpFirst), ...digits(fpSecond)].join(' ');
}
