import { type Request, type RequestHandler, type Response, Router } from 'express';
import { LoginIn, type SessionOut } from '../../../../common/schemas/index.js';
import type { AppDeps } from '../deps.js';
import { checkCredentials } from './credentials.js';
import { csrfToken } from './csrf.js';
import { toAuthUser } from './middleware.js';

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

export interface AuthRouterGuards {
  /** The login rate limit (`credentials.ts`). */
  limiter: RequestHandler;
  /** The login form's CSRF check (`csrf.ts`), run on the route whatever spelling reached it. */
  loginCsrf: RequestHandler;
}

/** `POST /login`, `POST /logout`, `GET /session` (the login form itself is a page of the UI). */
export function authRouter(deps: AppDeps, guards: AuthRouterGuards): Router {
  const router = Router();

  router.get('/session', (req, res) => {
    res.json(sessionOut(req));
  });

  router.post('/login', guards.loginCsrf, guards.limiter, async (req: Request, res: Response) => {
    const json = wantsJson(req);
    const next = safeNext(req.body?.next);
    const parsed = LoginIn.safeParse(req.body ?? {});
    const user = await checkCredentials(deps.repos, parsed.data?.username ?? '', parsed.data?.password ?? '');
    if (!user) {
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
