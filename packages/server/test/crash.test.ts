/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- tests assert on parsed JSON bodies */
// [D1] An ack means durably committed: SIGKILL a real server process under load, restart it on the same
// data, and every acked message is there exactly once, at the acked seq.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { randomId, signMemberEvent } from '@parley/protocol';
import { envelope, keyPool, registerBody, TestSocket, type TestUser } from './harness.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const dataDir = mkdtempSync(path.join(tmpdir(), 'parley-crash-'));
let child: ChildProcess | undefined;
afterAll(() => {
  child?.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

function startChild(): Promise<string> {
  child = spawn(process.execPath, ['--import', 'tsx', 'packages/server/src/main.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child!.stdout!.on('data', (d: Buffer) => {
      out += String(d);
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child!.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

async function post(url: string, body: unknown, token?: string) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return res.json();
}

describe('[D1] kill -9', () => {
  it('loses no acked message and duplicates none', async () => {
    let base = await startChild();
    const pairs = (await keyPool())[0]!;
    const name = `crash${Date.now().toString(36)}`;
    const { body } = await registerBody(name, 'crash test password', pairs);
    const reg = await post(`${base}/api/register`, body);
    const user = { name, pairs, token: reg.token } as TestUser;
    const room = randomId();
    const create = await signMemberEvent(
      {
        v: 1,
        type: 'create',
        room,
        actor: name,
        target: name,
        eventId: randomId(),
        ts: Date.now(),
        name: 'crash',
        public: false,
      },
      pairs.signing.privateKey,
    );
    await post(`${base}/api/rooms`, { create }, reg.token);
    const envelopes = await Promise.all(Array.from({ length: 400 }, (_, i) => envelope(user, room, i + 1)));

    const ws = await TestSocket.open(base.replace('http', 'ws') + '/api/connect', {
      authorization: `Bearer ${reg.token}`,
    });
    ws.send({ type: 'hello', v: 1 });
    await ws.next((f) => f.type === 'ready');
    const acks = new Map<string, number>();
    ws.ws.on('message', (d) => {
      const f = JSON.parse((d as Buffer).toString('utf8'));
      if (f.type === 'ack') acks.set(f.clientMsgId, f.seq);
    });
    for (const e of envelopes) ws.send({ type: 'send', envelope: e });
    while (acks.size < 100) await new Promise((r) => setTimeout(r, 2));
    child!.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    const acked = new Map(acks);
    expect(acked.size).toBeGreaterThanOrEqual(100);

    base = await startChild();
    const login = await post(`${base}/api/login`, { username: name, authKey: body.authKey });
    const res = await fetch(`${base}/api/rooms/${room}/events?after=0&limit=500`, {
      headers: { authorization: `Bearer ${login.token}` },
    });
    const log: any = await res.json();
    const seen = new Map<string, number[]>();
    for (const e of log.events) {
      if (e.kind === 'message')
        seen.set(e.content.clientMsgId, [...(seen.get(e.content.clientMsgId) ?? []), e.seq]);
    }
    for (const [id, seq] of acked) expect(seen.get(id)).toEqual([seq]);
    expect(log.events.map((e: any) => e.seq)).toEqual(log.events.map((_: unknown, i: number) => i + 1));
    child!.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
  });
});
