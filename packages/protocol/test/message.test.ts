// Messages [M1] [M4] [M6]: sealed with the ratchet's message key, AAD-bound, signed over canonical bytes.
import { describe, expect, it, beforeAll } from 'vitest';
import fc from 'fast-check';
import {
  PROTOCOL_VERSION,
  aesGcmEncrypt,
  canonical,
  envelope as envelopeSchema,
  fromB64u,
  generateRsaKeyPair,
  keyCommitment,
  messageKey,
  nextChainKey,
  openMessage,
  parseWith,
  randomBytes,
  randomId,
  sealMessage,
  toB64u,
  utf8,
  verifyMessageSignature,
  type Envelope,
} from '@parley/protocol';
import { ROOM, b64uOf, id16 } from './fixtures.ts';

let alice: CryptoKeyPair;
let mallory: CryptoKeyPair;
beforeAll(async () => {
  [alice, mallory] = await Promise.all([generateRsaKeyPair('signing'), generateRsaKeyPair('signing')]);
});

const CHAIN = Uint8Array.from({ length: 32 }, (_, i) => 100 + i);
const SESSION = id16(7);
const seal = (text: string, extra: { index?: number; chainKey?: Uint8Array } = {}) =>
  sealMessage({
    room: ROOM,
    sender: 'alice',
    signingKey: alice.privateKey,
    sessionId: SESSION,
    chainKey: extra.chainKey ?? CHAIN,
    index: extra.index ?? 0,
    memberSeq: 1,
    counter: 1,
    clientMsgId: randomId(),
    text,
  });

function flipBit(b64: string, bit: number): string {
  const bytes = fromB64u(b64);
  bytes[(bit >> 3) % bytes.length]! ^= 1 << (bit & 7);
  return toB64u(bytes);
}

describe('sealMessage / openMessage', () => {
  it('[M1] roundtrip for any text; the envelope passes the wire schema', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), fc.nat(5), async (text, steps) => {
        let ck: Uint8Array = CHAIN;
        for (let i = 0; i < steps; i++) ck = await nextChainKey(ck);
        const e = await seal(text, { index: steps, chainKey: ck });
        expect(parseWith(envelopeSchema, e).ok).toBe(true);
        expect(await openMessage(e, 'alice', ck)).toEqual({ text });
      }),
      { numRuns: 20 },
    );
  });

  it('[M1] the IV is fresh per message, and the content is AES-256-GCM under message_key with the spec AAD', async () => {
    const [a, b] = await Promise.all([seal('same'), seal('same')]);
    expect(a.iv).not.toBe(b.iv);
    expect(a.ciphertext).not.toBe(b.ciphertext);
    const aad = canonical('msg-aad', [PROTOCOL_VERSION, ROOM, 'alice', fromB64u(SESSION), 0]);
    const ct = await aesGcmEncrypt(await messageKey(CHAIN), {
      iv: fromB64u(a.iv),
      plaintext: utf8(JSON.stringify({ text: 'same' })),
      aad,
    });
    expect(toB64u(ct)).toBe(a.ciphertext);
  });

  it('[M6] any flipped bit in the IV or the ciphertext gives null (tampered)', async () => {
    const e = await seal('hello');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('iv' as const, 'ciphertext' as const), fc.nat(1023), async (field, bit) => {
        expect(await openMessage({ ...e, [field]: flipBit(e[field], bit) }, 'alice', CHAIN)).toBeNull();
      }),
      { numRuns: 60 },
    );
  });

  it('[M1] [M6] the AAD binds sender, room, session and index: any other value gives null', async () => {
    const e = await seal('hello', { index: 3 });
    expect(await openMessage(e, 'alice', CHAIN)).toEqual({ text: 'hello' });
    expect(await openMessage(e, 'mallory', CHAIN)).toBeNull();
    expect(await openMessage({ ...e, room: id16(9) }, 'alice', CHAIN)).toBeNull();
    expect(await openMessage({ ...e, sessionId: id16(8) }, 'alice', CHAIN)).toBeNull();
    expect(await openMessage({ ...e, index: 4 }, 'alice', CHAIN)).toBeNull();
    expect(await openMessage(e, 'alice', await nextChainKey(CHAIN))).toBeNull();
  });

  it('[M9] the envelope commits to its chain key: a ciphertext made for another key does not open', async () => {
    const e = await seal('for bob');
    expect(e.commit).toBe(toB64u(await keyCommitment(CHAIN)));
    // A sender that gave carol another chain key for the same session: the ciphertext opens under carol's key,
    // but the signed commitment names bob's, so carol reads nothing rather than another text.
    const carols = await nextChainKey(CHAIN);
    const aad = canonical('msg-aad', [PROTOCOL_VERSION, ROOM, 'alice', fromB64u(SESSION), 0]);
    const plaintext = utf8(JSON.stringify({ text: 'for carol' }));
    const ct = await aesGcmEncrypt(await messageKey(carols), { iv: fromB64u(e.iv), plaintext, aad });
    const forked = { ...e, ciphertext: toB64u(ct) };
    expect(await openMessage(forked, 'alice', carols)).toBeNull();
    expect(await openMessage({ ...forked, commit: toB64u(await keyCommitment(carols)) }, 'alice', carols)).toEqual(
      {
        text: 'for carol',
      },
    );
  });

  it('[M6] an authentic ciphertext whose plaintext is not { text: string } gives null', async () => {
    const aad = canonical('msg-aad', [PROTOCOL_VERSION, ROOM, 'alice', fromB64u(SESSION), 0]);
    const e = await seal('x');
    for (const body of ['not json', '{"text":5}', '[]', 'null', '\u00ff']) {
      const iv = randomBytes(12);
      const plaintext = body === '\u00ff' ? Uint8Array.of(0xff) : utf8(body);
      const ct = await aesGcmEncrypt(await messageKey(CHAIN), { iv, plaintext, aad });
      expect(await openMessage({ ...e, iv: toB64u(iv), ciphertext: toB64u(ct) }, 'alice', CHAIN), body).toBeNull();
    }
  });
});

describe('verifyMessageSignature', () => {
  it('[M4] verifies under the sender key and the sender name the server gives', async () => {
    const e = await seal('hi');
    expect(await verifyMessageSignature(e, 'alice', alice.publicKey)).toBe(true);
    expect(await verifyMessageSignature(e, 'bob', alice.publicKey)).toBe(false);
    expect(await verifyMessageSignature(e, 'alice', mallory.publicKey)).toBe(false);
  });

  it('[M4] is false after any change of any field (room, session, index, memberSeq, iv, ciphertext, commit, ids, counter, v)', async () => {
    const e = await seal('hi');
    const fields: { [K in keyof Envelope]: fc.Arbitrary<Envelope[K]> } = {
      v: fc.constant(2 as 1),
      room: b64uOf(16),
      sessionId: b64uOf(16),
      index: fc.nat(),
      memberSeq: fc.nat(),
      iv: b64uOf(12),
      ciphertext: b64uOf(30),
      commit: b64uOf(32),
      clientMsgId: b64uOf(16),
      counter: fc.integer({ min: 1 }),
      signature: b64uOf(384),
    };
    const change = fc
      .constantFrom(...(Object.keys(fields) as (keyof Envelope)[]))
      .chain((k) => (fields[k] as fc.Arbitrary<unknown>).map((value) => ({ k, value })));
    await fc.assert(
      fc.asyncProperty(change, async ({ k, value }) => {
        fc.pre(e[k] !== value);
        expect(await verifyMessageSignature({ ...e, [k]: value }, 'alice', alice.publicKey)).toBe(false);
      }),
      { numRuns: 40 },
    );
  });
});
