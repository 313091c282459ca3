// Bytes are Uint8Array everywhere; base64url appears only at the wire edge (STYLE 9).

const B64U_RE = /^[A-Za-z0-9_-]*$/;

export function toB64u(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Decodes untrusted base64url (no padding); null when it is not exactly that. */
export function tryFromB64u(text: string): Uint8Array | null {
  if (!B64U_RE.test(text) || text.length % 4 === 1) return null;
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  // Reject non-canonical encodings (stray bits in the last character) so one value has one spelling.
  return toB64u(out) === text ? out : null;
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

/** A fresh random 16-byte id in b64u: room ids, session ids, client message ids, event ids. */
export const randomId = (): string => toB64u(randomBytes(16));
