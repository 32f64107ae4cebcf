import { createHmac, randomBytes } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { AppDeps } from '../deps.js';
import { checkCredentials, passesLimit } from './credentials.js';
import { toAuthUser } from './middleware.js';

/**
 * HTTP Basic on the API (`curl -u user:password .../rest/hosts/`), as the original's Django
 * REST framework accepted. Each new credential costs one argon2 verification behind the login
 * rate limit; a verified one is remembered a few minutes (keyed by an HMAC of the header, with
 * the password hash it matched, so a password change ends it at once) so that a script's
 * requests do not each pay argon2. No `WWW-Authenticate: Basic` challenge is ever sent: browsers
 * then never store Basic credentials for the site, so Basic cannot ride along a forged request.
 */
const REMEMBER_MS = 5 * 60_000;
const REMEMBERED_MAX = 1000;

interface Remembered {
  userId: number;
  passwordHash: string;
  at: number;
}

export function parseBasic(header: string | undefined): { username: string; password: string } | null {
  const match = /^basic\s+([A-Za-z0-9+/=]{1,2800})\s*$/i.exec(header ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function basicAuth(deps: AppDeps, limiter: RequestHandler): RequestHandler {
  const remembered = new Map<string, Remembered>();
  const hmacKey = randomBytes(32);
  const keyOf = (header: string) => createHmac('sha256', hmacKey).update(header).digest('base64url');

  const recall = async (key: string): Promise<number | null> => {
    const entry = remembered.get(key);
    if (!entry) return null;
    if (deps.now().getTime() - entry.at > REMEMBER_MS || (await deps.repos.users.passwordHash(entry.userId)) !== entry.passwordHash) {
      remembered.delete(key);
      return null;
    }
    return entry.userId;
  };
  const remember = (key: string, userId: number, passwordHash: string) => {
    if (remembered.size >= REMEMBERED_MAX) remembered.delete(remembered.keys().next().value as string);
    remembered.set(key, { userId, passwordHash, at: deps.now().getTime() });
  };

  return async (req, res, next) => {
    const header = req.get('authorization');
    if (!header || !/^basic\s/i.test(header)) return next();
    const credentials = parseBasic(header);
    if (!credentials) {
      res.status(401).json({ error: 'malformed Basic authorization header' });
      return;
    }
    const key = keyOf(header);
    let userId = await recall(key);
    if (userId === null) {
      if (!(await passesLimit(limiter, req, res))) return;
      const user = await checkCredentials(deps.repos, credentials.username, credentials.password);
      if (!user) {
        deps.logger.info({ username: credentials.username.slice(0, 150), ip: req.ip }, 'login failed (basic)');
        res.status(401).json({ error: 'invalid username or password' });
        return;
      }
      res.locals.loginSucceeded = true;
      remember(key, user.id, (await deps.repos.users.passwordHash(user.id)) ?? '');
      userId = user.id;
    }
    const user = await deps.repos.users.get(userId);
    if (!user) {
      res.status(401).json({ error: 'invalid username or password' });
      return;
    }
    req.user = toAuthUser(user, 'basic');
    next();
  };
}
