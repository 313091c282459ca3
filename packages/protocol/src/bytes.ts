// Bytes are Uint8Array everywhere; base64url appears only at the wire edge (STYLE 9).

// Table-driven, because every signature, chain and head on the wire passes through here (a history page holds
// hundreds): no regex passes, no intermediate binary string, and the canonical check needs no re-encoding.
const B64U_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64U_VALUE = new Int16Array(128).fill(-1);
for (let i = 0; i < B64U_ALPHABET.length; i++) B64U_VALUE[B64U_ALPHABET.charCodeAt(i)] = i;

export function toB64u(bytes: Uint8Array): string {
  const a = B64U_ALPHABET;
  const parts: string[] = [];
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += a[n >> 18]! + a[(n >> 12) & 63]! + a[(n >> 6) & 63]! + a[n & 63]!;
    if (out.length >= 0x4000) {
      parts.push(out);
      out = '';
    }
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += a[n >> 18]! + a[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += a[n >> 18]! + a[(n >> 12) & 63]! + a[(n >> 6) & 63]!;
  }
  parts.push(out);
  return parts.join('');
}

/**
 * Whether `text` is canonical base64url without padding (what tryFromB64u accepts), without decoding it:
 * schemas check every field of every frame, and most of them are only stored and relayed.
 */
export function isCanonicalB64u(text: string): boolean {
  if (text.length % 4 === 1) return false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 128 || B64U_VALUE[code]! < 0) return false;
  }
  return hasCanonicalTail(text);
}

/**
 * For text already known to be in the base64url alphabet (the schemas' regex, matched natively): whether its
 * length and last character are canonical. With the alphabet checked, isCanonicalB64u reduces to this, so the
 * schemas need not walk every character a second time in JavaScript (a 1.4 KB envelope on every send).
 */
export function hasCanonicalTail(text: string): boolean {
  const tail = text.length % 4;
  if (tail === 1) return false;
  if (tail === 0) return true;
  // The last character of a partial group may not carry stray bits (as in tryFromB64u).
  const v = B64U_VALUE[text.charCodeAt(text.length - 1)]!;
  return tail === 2 ? (v & 15) === 0 : (v & 3) === 0;
}

/** How many bytes base64url text (no padding) spells; -1 when no such text has its length. */
export function b64uLength(text: string): number {
  const tail = text.length % 4;
  return tail === 1 ? -1 : ((text.length - tail) / 4) * 3 + (tail === 0 ? 0 : tail - 1);
}

/**
 * Decodes untrusted base64url (no padding) into `out` from `at` (b64uLength(text) bytes, which the caller made
 * room for); false when it is not exactly that (what was written then means nothing).
 */
export function decodeB64uInto(text: string, out: Uint8Array, at: number): boolean {
  const tail = text.length % 4;
  if (tail === 1) return false;
  let acc = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const v = code < 128 ? B64U_VALUE[code]! : -1;
    if (v < 0) return false;
    acc = (acc << 6) | v;
    if ((i & 3) === 3) {
      out[at++] = acc >> 16;
      out[at++] = (acc >> 8) & 255;
      out[at++] = acc & 255;
      acc = 0;
    }
  }
  // Reject non-canonical encodings (stray bits in the last character) so one value has one spelling.
  if (tail === 2) {
    if (acc & 15) return false;
    out[at] = acc >> 4;
  } else if (tail === 3) {
    if (acc & 3) return false;
    out[at++] = acc >> 10;
    out[at] = (acc >> 2) & 255;
  }
  return true;
}

/** Decodes untrusted base64url (no padding); null when it is not exactly that. */
export function tryFromB64u(text: string): Uint8Array | null {
  const length = b64uLength(text);
  if (length < 0) return null;
  const out = new Uint8Array(length);
  return decodeB64uInto(text, out, 0) ? out : null;
}

/** Decodes base64url already validated by a schema; a bad value here is a bug, so it throws. */
export function fromB64u(text: string): Uint8Array {
  const bytes = tryFromB64u(text);
  if (!bytes) throw new RangeError('fromB64u: argument is not canonical base64url');
  return bytes;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
export const utf8 = (text: string): Uint8Array => encoder.encode(text);
/** Decodes untrusted UTF-8; null when malformed. */
export function tryFromUtf8(bytes: Uint8Array): string | null {
  try {
    return decoder.decode(bytes);
  } catch {
    return null;
  }
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Constant-time equality for secrets and MACs: the time depends on the length only. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function randomBytes(length: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(length));
}

/** A fresh random 16-byte id in b64u: room ids, session ids, event ids. */
export const randomId = (): string => toB64u(randomBytes(16));

/**
 * A client message id (16 bytes, b64u): the time in milliseconds (6 bytes, big-endian), then 10 random bytes,
 * the layout of a UUIDv7 (RFC 9562) without its version bits. The server's [D2] index is ordered by room, sender
 * and this id: ids one sender makes minutes apart share their first characters, so its new entries land on the
 * same few index pages instead of a random page each (docs/performance.md measures what that saves). The time
 * says nothing the server's own timestamp of the event does not.
 */
export function timeOrderedId(now = Date.now()): string {
  const bytes = randomBytes(16);
  for (let i = 5, t = now; i >= 0; i--, t = Math.floor(t / 256)) bytes[i] = t % 256;
  return toB64u(bytes);
}
