import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The synchronizer token of this session, created on first use. */
export function csrfToken(req: Request): string {
  if (!req.session.csrfToken) {
    req.session.csrfToken = randomBytes(24).toString('base64url');
    // a session made only to carry the login form's token lives an hour, not the full max age
    if (req.session.userId === undefined)
      req.session.cookie.maxAge = Math.min(req.session.cookie.maxAge ?? ANONYMOUS_MAX_AGE_MS, ANONYMOUS_MAX_AGE_MS);
  }
  return req.session.csrfToken;
}

const ANONYMOUS_MAX_AGE_MS = 3_600_000;

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The request's own origin as the browser sees it (`trust proxy` decides protocol and host). */
function ownOrigin(req: Request): string {
  return `${req.protocol}://${req.get('host')}`;
}

/**
 * Unsafe requests authenticated by the session cookie (and the login form) need
 * the session's token in `X-CSRF-Token` or a `_csrf` form field, and, when the browser says where
 * they come from (`Origin`), the same origin. Bearer-token requests carry no cookie and are exempt.
 * Also exposes the token to templates as `res.locals.csrfToken`.
 */
export function csrfProtection(req: Request, res: Response, next: NextFunction): void {
  if (req.user?.via === 'token') {
    next();
    return;
  }
  if (SAFE_METHODS.has(req.method)) {
    Object.defineProperty(res.locals, 'csrfToken', { get: () => csrfToken(req), enumerable: true, configurable: true });
    next();
    return;
  }
  // Without a logged-in user there is nothing to forge, except a login into the attacker's account.
  if (!req.user && req.path !== '/login') {
    next();
    return;
  }
  const origin = req.get('origin');
  if (origin && origin !== ownOrigin(req)) {
    res.status(403).json({ error: 'cross-origin request refused' });
    return;
  }
  const sent = req.get('x-csrf-token') ?? (typeof req.body?._csrf === 'string' ? req.body._csrf : '');
  const expected = req.session.csrfToken;
  if (!expected || !sent || !sameToken(sent, expected)) {
    res.status(403).json({ error: 'invalid CSRF token', field: '_csrf' });
    return;
  }
  res.locals.csrfToken = expected;
  next();
}
