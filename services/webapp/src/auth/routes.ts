import { type Request, type Response, Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import { LoginIn, type SessionOut } from '../../../../common/schemas/index.js';
import type { AppDeps } from '../deps.js';
import { csrfToken } from './csrf.js';
import { toAuthUser } from './middleware.js';
import { dummyPasswordHash, verifyPassword } from './passwords.js';

const LOGIN_WINDOW_MS = 15 * 60_000;

/** Only local paths: `//evil.example` and `/\evil` would leave the site. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])/.test(next) ? next : '/';
}

function wantsJson(req: Request): boolean {
  return Boolean(req.is('application/json')) || req.accepts(['html', 'json']) === 'json';
}

export function sessionOut(req: Request): SessionOut {
  const u = req.user;
  return {
    user: u ? { id: u.id, username: u.username, is_superuser: u.isSuperuser, groups: u.groupIds } : null,
    csrf_token: csrfToken(req),
  };
}

function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
}

/** `POST /login`, `POST /logout`, `GET /session` (the login form itself is a page of the UI). */
export function authRouter(deps: AppDeps): Router {
  const router = Router();
  const limiter = rateLimit({
    windowMs: LOGIN_WINDOW_MS,
    limit: deps.config.web.login_attempts,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    skipSuccessfulRequests: true,
    // a failed form login is a 303 redirect, so success is what the route says, not the status
    requestWasSuccessful: (_req, res) => res.locals.loginSucceeded === true,
    handler: (_req, res) => {
      res.status(429).json({ error: 'too many login attempts, try again later' });
    },
  });

  router.get('/session', (req, res) => {
    res.json(sessionOut(req));
  });

  router.post('/login', limiter, async (req: Request, res: Response) => {
    const json = wantsJson(req);
    const next = safeNext(req.body?.next);
    const parsed = LoginIn.safeParse(req.body ?? {});
    const user = parsed.success ? await deps.repos.users.byUsername(parsed.data.username) : null;
    const stored = user ? await deps.repos.users.passwordHash(user.id) : null;
    const ok =
      parsed.success &&
      (await verifyPassword(stored ?? (await dummyPasswordHash()), parsed.data.password)) &&
      user !== null &&
      stored !== null;
    if (!ok || !user) {
      deps.logger.info({ username: parsed.success ? parsed.data.username : undefined, ip: req.ip }, 'login failed');
      if (json) res.status(401).json({ error: 'invalid username or password' });
      else res.redirect(303, `/login?error=1&next=${encodeURIComponent(next)}`);
      return;
    }
    await regenerate(req);
    req.session.userId = user.id;
    req.user = toAuthUser(user, 'session');
    res.locals.loginSucceeded = true;
    deps.logger.info({ username: user.username, ip: req.ip }, 'login');
    if (json) res.json(sessionOut(req));
    else res.redirect(303, next);
  });

  router.post('/logout', async (req, res) => {
    const json = wantsJson(req);
    await new Promise<void>((resolve) => req.session.destroy(() => resolve()));
    res.clearCookie(SESSION_COOKIE);
    if (json) res.status(204).end();
    else res.redirect(303, '/login');
  });
  return router;
}

export const SESSION_COOKIE = 'numeter.sid';
