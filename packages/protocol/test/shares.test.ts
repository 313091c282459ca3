// Key shares [M2]: RSA-OAEP to the recipient, RSA-PSS by the sender over room, session, sender, recipient.
import { describe, expect, it, beforeAll } from 'vitest';
import {
  concatBytes,
  fromB64u,
  generateRsaKeyPair,
  keyShare,
  openShare,
  parseWith,
  rsaEncrypt,
  rsaSign,
  sealShare,
  shareBytes,
  toB64u,
  type KeyShare,
  type SessionShare,
} from '@parley/protocol';
import { ROOM, id16 } from './fixtures.ts';

let aliceSig: CryptoKeyPair;
let mallorySig: CryptoKeyPair;
let bobEnc: CryptoKeyPair;
let carolEnc: CryptoKeyPair;
beforeAll(async () => {
  [aliceSig, mallorySig, bobEnc, carolEnc] = await Promise.all([
    generateRsaKeyPair('signing'),
    generateRsaKeyPair('signing'),
    generateRsaKeyPair('encryption'),
    generateRsaKeyPair('encryption'),
  ]);
});

const SESSION: SessionShare = { sessionId: id16(3), index: 0x01020304, chainKey: new Uint8Array(32).fill(5) };
type Stored = KeyShare & { room: string; sender: string };

async function aliceToBob(session = SESSION): Promise<Stored> {
  const share = await sealShare({
    room: ROOM,
    sender: 'alice',
    signingKey: aliceSig.privateKey,
    recipient: 'bob',
    recipientEncryptionKey: bobEnc.publicKey,
    session,
  });
  return { ...share, room: ROOM, sender: 'alice' };
}

const bobOpens = (share: Stored, senderSigningKey = aliceSig.publicKey) =>
  openShare({ share, me: 'bob', myEncryptionKey: bobEnc.privateKey, senderSigningKey });

/** A share signed by Alice over exactly these fields, whatever the payload says. */
async function signedShare(payload: Uint8Array, sessionId: string, key = bobEnc.publicKey): Promise<Stored> {
  const ciphertext = toB64u(await rsaEncrypt(key, payload));
  const fields = { room: ROOM, sessionId, sender: 'alice', recipient: 'bob', ciphertext };
  const signature = toB64u(await rsaSign(aliceSig.privateKey, shareBytes(fields)));
  return { recipient: 'bob', sessionId, ciphertext, signature, room: ROOM, sender: 'alice' };
}

describe('sealShare / openShare', () => {
  it('[M2] the addressed recipient opens the session (id, index, chain key) signed by the pinned sender key', async () => {
    const share = await aliceToBob();
    const { room: _room, sender: _sender, ...wire } = share;
    expect(parseWith(keyShare, wire).ok).toBe(true);
    expect(await bobOpens(share)).toEqual({ ok: true, session: SESSION });
  });

  it('[R5] a forwarded share signs whose session it is: adding, changing or dropping the owner breaks it', async () => {
    const forwarded = await sealShare({
      room: ROOM,
      sender: 'alice',
      signingKey: aliceSig.privateKey,
      recipient: 'bob',
      recipientEncryptionKey: bobEnc.publicKey,
      session: SESSION,
      owner: 'carol',
    });
    const share = { ...forwarded, room: ROOM, sender: 'alice' };
    expect(share.owner).toBe('carol');
    expect(await bobOpens(share)).toEqual({ ok: true, session: SESSION });
    const bad = { ok: false, reason: 'bad_signature' };
    expect(await bobOpens({ ...share, owner: 'dave' })).toEqual(bad);
    const { owner: _, ...dropped } = share;
    expect(await bobOpens(dropped)).toEqual(bad);
    expect(await bobOpens({ ...(await aliceToBob()), owner: 'carol' })).toEqual(bad);
  });

  it('[M2] a share addressed to someone else is misaddressed', async () => {
    const share = await aliceToBob();
    const r = await openShare({
      share,
      me: 'carol',
      myEncryptionKey: carolEnc.privateKey,
      senderSigningKey: aliceSig.publicKey,
    });
    expect(r).toEqual({ ok: false, reason: 'misaddressed' });
    // Relabelling the recipient breaks the signature, which binds it.
    const relabelled = await openShare({
      share: { ...share, recipient: 'carol' },
      me: 'carol',
      myEncryptionKey: carolEnc.privateKey,
      senderSigningKey: aliceSig.publicKey,
    });
    expect(relabelled).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('[M2] bad_signature: another signer, another claimed sender or room, or any changed byte', async () => {
    const share = await aliceToBob();
    const bad = { ok: false, reason: 'bad_signature' };
    expect(await bobOpens(share, mallorySig.publicKey)).toEqual(bad);
    expect(await bobOpens({ ...share, sender: 'mallory' })).toEqual(bad);
    expect(await bobOpens({ ...share, room: id16(9) })).toEqual(bad);
    expect(await bobOpens({ ...share, sessionId: id16(4) })).toEqual(bad);
    const ct = fromB64u(share.ciphertext);
    ct[0]! ^= 1;
    expect(await bobOpens({ ...share, ciphertext: toB64u(ct) })).toEqual(bad);
    const sig = fromB64u(share.signature);
    sig[sig.length - 1]! ^= 1;
    expect(await bobOpens({ ...share, signature: toB64u(sig) })).toEqual(bad);
  });

  it('[M2] session_mismatch: the signed session id differs from the one inside the payload', async () => {
    const payload = concatBytes(fromB64u(id16(3)), Uint8Array.of(0, 0, 0, 1), new Uint8Array(32));
    expect(await bobOpens(await signedShare(payload, id16(4)))).toEqual({ ok: false, reason: 'session_mismatch' });
  });

  it('[M2] undecryptable: encrypted to another key, or a payload of the wrong length', async () => {
    const payload = concatBytes(fromB64u(id16(3)), Uint8Array.of(0, 0, 0, 1), new Uint8Array(32));
    const toCarol = await signedShare(payload, id16(3), carolEnc.publicKey);
    expect(await bobOpens(toCarol)).toEqual({ ok: false, reason: 'undecryptable' });
    const short = await signedShare(payload.subarray(0, 51), id16(3));
    expect(await bobOpens(short)).toEqual({ ok: false, reason: 'undecryptable' });
  });

  it('[M2] a chain key that is not 32 bytes is misuse (RangeError)', async () => {
    await expect(aliceToBob({ ...SESSION, chainKey: new Uint8Array(31) })).rejects.toThrow(RangeError);
  });
});
