// eventInputs: the bytes a reader checks of one event, built once. Each must equal what the single-purpose
// functions give — the hash input eventHash hashes [R1], the message signature input [M4], memberBytes [R2] —
// for any event, so that a reader using it checks exactly what the spec says.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  eventHash,
  eventInputs,
  fromB64u,
  memberBytes,
  messageSignatureInput,
  type Envelope,
  type MemberEvent,
} from '@parley/protocol';
import { b64uOf, envelope, memberEvent, ROOM } from './fixtures.ts';

const sha = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

const message = fc.record({
  seq: fc.nat(),
  ts: fc.nat(),
  index: fc.nat({ max: 0xffff_ffff }),
  counter: fc.integer({ min: 1, max: 2 ** 40 }),
  ciphertext: b64uOf(64),
});

describe('eventInputs', () => {
  it('[R1] [M4] a message: SHA-256 of `hashed` is eventHash, `signed` + `signature` are its signature input', async () => {
    await fc.assert(
      fc.asyncProperty(message, async ({ seq, ts, index, counter, ciphertext }) => {
        const content: Envelope = envelope({ index, counter, ciphertext });
        const e = { room: ROOM, seq, ts, kind: 'message' as const, sender: 'alice', content };
        const inputs = eventInputs(e);
        expect(sha(inputs.hashed)).toEqual(await eventHash(e));
        const { signature, data } = messageSignatureInput(content, 'alice');
        expect(inputs.signed).toEqual(data);
        expect(inputs.signature).toEqual(signature);
      }),
      { numRuns: 50 },
    );
  });

  it('[R1] [R2] a membership change: SHA-256 of `hashed` is eventHash, `signed` is memberBytes', async () => {
    const content: MemberEvent = memberEvent('create', 'alice', 'alice', { public: true });
    const e = { room: ROOM, seq: 1, ts: 5, kind: 'member' as const, sender: 'alice', content };
    const inputs = eventInputs(e);
    expect(sha(inputs.hashed)).toEqual(await eventHash(e));
    expect(inputs.signed).toEqual(memberBytes(content));
    expect(inputs.signature).toEqual(fromB64u(content.signature));
  });
});
