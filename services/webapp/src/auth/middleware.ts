import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Repositories, User } from '../repos/index.js';
import { userIdOfToken } from './tokens.js';
import type { AuthUser } from './user.js';

export function toAuthUser(user: User, via: AuthUser['via']): AuthUser {
  return { id: user.id, username: user.username, isSuperuser: user.isSuperuser, groupIds: user.groups, via };
}

/**
 * Sets `req.user` from `Authorization: Bearer <token>` or from the session. A bearer header
 * that is not a valid token is refused outright (401) rather than treated as anonymous, so a
 * script with a revoked token fails loudly. The user is re-read on every request: a deleted
 * user or a changed group applies at once.
 */
export function loadUser(repos: Repositories): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization');
    if (header?.toLowerCase().startsWith('bearer ')) {
      const userId = await userIdOfToken(repos, header.slice(7).trim());
      const user = userId === null ? null : await repos.users.get(userId);
      if (!user) {
        res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: 'invalid API token' });
        return;
      }
      req.user = toAuthUser(user, 'token');
      return next();
    }
    const userId = req.session?.userId;
    if (userId !== undefined) {
      const user = await repos.users.get(userId);
      if (user) req.user = toAuthUser(user, 'session');
      else delete req.session.userId;
    }
    next();
  };
}

/** Anonymous → 401 JSON (REST, wide-storage, JSON endpoints of pages). */
export function requireUser(req: Request, res: Response, next: NextFunction): void {
  if (!req.user) {
    res.status(401).json({ error: 'authentication required' });
    return;
  }
  next();
}

/** Anonymous → 303 to the login form, coming back here afterwards (HTML pages). */
export function requirePageUser(req: Request, res: Response, next: NextFunction): void {
  if (!req.user) {
    res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
    return;
  }
  next();
}
