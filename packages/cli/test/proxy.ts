// A proxy in front of the real server that a test can make misbehave: answer some requests itself (a share
// the server "drops") or rewrite what the server answers (a broken signature).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const HOP = new Set(['content-length', 'content-encoding', 'transfer-encoding', 'connection', 'set-cookie']);

export interface ProxyHooks {
  /** A status to answer with instead of asking the server (undefined: forward). */
  answer?: (method: string, url: string, body: Buffer) => number | undefined;
  /** Rewrites a successful answer's body. */
  rewrite?: (method: string, url: string, body: string) => string;
}

export async function startProxy(upstream: string, hooks: ProxyHooks): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    forward(upstream, hooks, req, res).catch(() => res.writeHead(502).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function forward(upstream: string, hooks: ProxyHooks, req: IncomingMessage, res: ServerResponse) {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const method = req.method ?? 'GET';
  const url = req.url ?? '/';
  const own = hooks.answer?.(method, url, Buffer.concat(chunks));
  if (own !== undefined) return void res.writeHead(own).end();
  const headers = Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'connection');
  const answer = await fetch(upstream + url, {
    method,
    headers: headers.map(([k, v]): [string, string] => [k, String(v)]),
    ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
  });
  let body = await answer.text();
  if (answer.ok && hooks.rewrite) body = hooks.rewrite(method, url, body);
  for (const [k, v] of answer.headers) if (!HOP.has(k)) res.setHeader(k, v);
  const cookies = answer.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  res.writeHead(answer.status).end(body);
}
