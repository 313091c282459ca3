// Accounts [K2]–[K4]: prelogin, register, login. The server only ever sees authKey, never the password.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  DEFAULT_KDF,
  USER_ID,
  fromB64u,
  importPublicKey,
  isSuiteRsaKey,
  loginRequest,
  preloginRequest,
  registerRequest,
  type AccountKeys,
  type LoginResponse,
  type SessionKind,
} from '@parley/protocol';
import { AppError } from '../../errors.ts';
import type { Services } from '../../services.ts';
import type { RateLimiter } from '../../security/rate-limit.ts';
import { burnVerifyTime, fakeSalt, hashAuthKey, verifyAuthKey } from '../../security/passwords.ts';
import { parse } from '../errors.ts';
import { setSessionCookie } from '../auth.ts';

const HOUR_MS = 3600_000;

function limitByIp(limiter: RateLimiter, req: FastifyRequest): void {
  const wait = limiter.take(req.ip);
  if (wait > 0)
    throw new AppError('RATE_LIMITED', `too many requests; retry in ${wait} s`, { retryAfterSec: wait });
}

/** RSA-3072 SPKI that WebCrypto accepts for its purpose [K1]. */
async function checkPublicKeys(keys: AccountKeys): Promise<void> {
  for (const purpose of ['signing', 'encryption'] as const) {
    const key = await importPublicKey(purpose, fromB64u(keys[purpose].public));
    if (!key || !isSuiteRsaKey(key)) {
      throw new AppError('BAD_REQUEST', `keys.${purpose}.public must be an RSA-3072 SPKI with e = 65537 [K1]`);
    }
  }
}

/**
 * A browser's session lives in its HttpOnly cookie only: a client that asks for a cookie session, or any request
 * a browser sent (browsers put an Origin on every POST), gets no token in the body for script to read.
 */
const wantsCookieSession = (req: FastifyRequest, kind: SessionKind | undefined): boolean =>
  kind === 'cookie' || (kind === undefined && req.headers.origin !== undefined);

export async function startSession(
  s: Services,
  reply: FastifyReply,
  o: { user: string; keys: AccountKeys; cookieOnly: boolean },
): Promise<LoginResponse> {
  const { user, keys } = o;
  const { token, session } = await s.sessions.create(user);
  setSessionCookie(reply, token, Math.floor(s.config.sessionAbsoluteMs / 1000));
  return {
    user,
    ...(o.cookieOnly ? {} : { token }),
    csrfToken: session.csrfToken,
    keys,
    serverKey: { spki: s.serverKey.spki, fingerprint: s.serverKey.fingerprint },
  };
}

async function login(s: Services, req: FastifyRequest, reply: FastifyReply): Promise<LoginResponse> {
  limitByIp(s.limits.login, req);
  const body = parse(loginRequest, req.body);
  const authKey = fromB64u(body.authKey);
  const user = await s.store.getUser(body.username);
  if (!user) {
    await burnVerifyTime(authKey);
    throw new AppError('BAD_CREDENTIALS', 'wrong username or password');
  }
  const now = Date.now();
  const fresh = now - user.failedWindowStart >= HOUR_MS;
  const failures = fresh ? 0 : user.failedLogins;
  if (failures >= s.config.maxFailedLoginsPerHour) {
    const wait = Math.ceil((user.failedWindowStart + HOUR_MS - now) / 1000);
    throw new AppError('RATE_LIMITED', 'too many failed logins for this account; try again later', {
      retryAfterSec: wait,
    });
  }
  if (!(await verifyAuthKey(authKey, user.authHash))) {
    await s.store.setLoginFailures(user.id, failures + 1, fresh ? now : user.failedWindowStart);
    throw new AppError('BAD_CREDENTIALS', 'wrong username or password');
  }
  if (user.failedLogins > 0) await s.store.setLoginFailures(user.id, 0, 0);
  return startSession(s, reply, {
    user: user.id,
    keys: user.keys,
    cookieOnly: wantsCookieSession(req, body.session),
  });
}

export function accountRoutes(app: FastifyInstance, s: Services): void {
  app.post('/api/prelogin', async (req) => {
    limitByIp(s.limits.prelogin, req);
    const { username } = parse(preloginRequest, req.body);
    const user = USER_ID.test(username) ? await s.store.getUser(username) : undefined;
    // [K3] Same shape, status and cost for a name with no account.
    return user
      ? { salt: user.salt, kdf: user.kdf }
      : { salt: fakeSalt(s.serverSecret, username), kdf: DEFAULT_KDF };
  });

  app.post('/api/register', async (req, reply) => {
    limitByIp(s.limits.register, req);
    const body = parse(registerRequest, req.body);
    await checkPublicKeys(body.keys);
    const authHash = await hashAuthKey(fromB64u(body.authKey));
    const created = await s.store.createUser(
      { id: body.username, salt: body.salt, kdf: body.kdf, authHash, keys: body.keys },
      Date.now(),
    );
    if (!created) throw new AppError('USERNAME_TAKEN', `the name ${body.username} is taken`);
    const answer = await startSession(s, reply, {
      user: body.username,
      keys: body.keys,
      cookieOnly: wantsCookieSession(req, body.session),
    });
    return reply.code(201).send(answer);
  });

  app.post('/api/login', (req, reply) => login(s, req, reply));
}
