// Real, pre-made message envelopes. Each payload is sealed once with the protocol's own crypto (AES-256-GCM
// under a ratchet key, RSA-PSS signature); per message only the client message id and the sender's counter
// change, by string splicing, so the generator spends nothing on crypto in the timed phase. The servers never
// decrypt or verify message signatures ([M5]: no per-message RSA on the server), so the relayed bytes are
// exactly what a real client would send; only a receiving client would notice the stale signature.
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { randomBytes, randomId, sealMessage, type UserKeyPairs } from '@parley/protocol';

/** Ciphertext sizes of the benchmark: opaque 512 B and 4 KB. */
export const PAYLOADS = [512, 4096] as const;
export type PayloadBytes = (typeof PAYLOADS)[number];

const ID_MARK = `${'I'.repeat(21)}A`; // canonical b64u of 16 bytes ends in one of A Q g w
const COUNTER_MARK = 987654321012345;
// {"text":"…"} around the text, plus the 16-byte GCM tag, make the ciphertext exactly `bytes` long.
const textFor = (bytes: number) => 'x'.repeat(bytes - 16 - '{"text":""}'.length);

export interface EnvelopeTemplate {
  parts: [string, string, string];
  bytes: number;
}

export async function sealTemplate(o: {
  room: string;
  sender: string;
  keys: UserKeyPairs;
  bytes: number;
  /** [M11] The room's latest membership change. */
  memberSeq: number;
}): Promise<EnvelopeTemplate> {
  const envelope = await sealMessage({
    room: o.room,
    sender: o.sender,
    signingKey: o.keys.signing.privateKey,
    sessionId: randomId(),
    chainKey: randomBytes(32),
    index: 0,
    memberSeq: o.memberSeq,
    counter: COUNTER_MARK,
    clientMsgId: ID_MARK,
    text: textFor(o.bytes),
  });
  const json = JSON.stringify(envelope);
  const [a, rest] = json.split(ID_MARK) as [string, string];
  const [b, c] = rest.split(String(COUNTER_MARK)) as [string, string];
  return { parts: [a, b, c], bytes: o.bytes };
}

/** A stream of distinct messages from one sender: fresh client message id, counter 1, 2, 3 … */
export class MessageStream {
  private counter = 0;
  private readonly idBytes = nodeRandomBytes(16);
  constructor(private readonly template: EnvelopeTemplate) {}

  /** The envelope JSON of the next message and its client message id. */
  next(): { id: string; json: string } {
    this.counter += 1;
    this.idBytes.writeUIntBE(this.counter, 10, 6);
    const id = this.idBytes.toString('base64url');
    const [a, b, c] = this.template.parts;
    return { id, json: `${a}${id}${b}${this.counter}${c}` };
  }
}

const ID_KEY = Buffer.from('"clientMsgId":"');
/** The client message id inside a frame that carries an envelope, without parsing the frame. */
export function clientMsgIdOf(frame: Buffer): string | null {
  const at = frame.indexOf(ID_KEY);
  return at < 0 ? null : frame.toString('latin1', at + ID_KEY.length, at + ID_KEY.length + 22);
}
