import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * CSRF tokens that need no stored state, so that an anonymous visit writes no session row:
 *
 * - a logged-in session's token is HMAC(key, session id): it changes with the session id
 *   (regenerated at login) and dies with the session;
 * - an anonymous visitor (the login form) gets a random nonce in the HttpOnly cookie
 *   `numeter.csrf` and the token HMAC(key, nonce): a signed double-submit cookie. A foreign
 *   page can neither read the cookie nor compute the token.
 *
 * Keys are the session secrets (the first signs, all verify, so a rotation keeps forms valid).
 */
export const CSRF_COOKIE = 'numeter.csrf';
const NONCE = /^[A-Za-z0-9_-]{32}$/;
const ANONYMOUS_MAX_AGE_MS = 3_600_000;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface CsrfOptions {
  keys: readonly string[];
  secureCookies: boolean;
}

function sign(key: string, purpose: 'session' | 'anonymous', value: string): string {
  return createHmac('sha256', key).update(`${purpose}:${value}`).digest('base64url');
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** One cookie of the request's `Cookie` header (express parses none without cookie-parser). */
export function requestCookie(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** The request's own origin as the browser sees it (`trust proxy` decides protocol and host). */
function ownOrigin(req: Request): string {
  return `${req.protocol}://${req.get('host')}`;
}

export class CsrfTokens {
  constructor(private readonly options: CsrfOptions) {}

  /** The token for this request's state (session or anonymous); may set the nonce cookie. */
  tokenFor(req: Request, res: Response): string {
    const [key] = this.options.keys;
    if (req.user?.via === 'session') return sign(key, 'session', req.sessionID);
    let nonce = this.nonceOf(req);
    if (!nonce) {
      nonce = randomBytes(24).toString('base64url');
      res.cookie(CSRF_COOKIE, nonce, {
        httpOnly: true,
        sameSite: 'lax',
        secure: this.options.secureCookies,
        maxAge: ANONYMOUS_MAX_AGE_MS,
        path: '/',
      });
      // later calls in this request (page + form field) must see the same nonce
      res.locals.csrfNonce = nonce;
    }
    return sign(key, 'anonymous', nonce);
  }

  /** Whether the token sent with an unsafe request is the one of its session or nonce cookie. */
  verify(req: Request): boolean {
    const sent = req.get('x-csrf-token') ?? (typeof req.body?._csrf === 'string' ? req.body._csrf : '');
    if (!sent) return false;
    const [purpose, value] =
      req.user?.via === 'session' ? (['session', req.sessionID] as const) : (['anonymous', this.nonceOf(req)] as const);
    if (!value) return false;
    return this.options.keys.some((key) => sameToken(sent, sign(key, purpose, value)));
  }

  /**
   * Refuses (403, true) an unsafe request from a foreign `Origin` or without the right token;
   * false when it may go on.
   */
  refuse(req: Request, res: Response): boolean {
    const origin = req.get('origin');
    if (origin && origin !== ownOrigin(req)) {
      res.status(403).json({ error: 'cross-origin request refused' });
      return true;
    }
    if (!this.verify(req)) {
      res.status(403).json({ error: 'invalid CSRF token', field: '_csrf' });
      return true;
    }
    return false;
  }

  private nonceOf(req: Request): string | undefined {
    const nonce = (req.res?.locals.csrfNonce as string | undefined) ?? requestCookie(req, CSRF_COOKIE);
    return nonce && NONCE.test(nonce) ? nonce : undefined;
  }
}

/**
 * Unsafe requests authenticated by the session cookie need the token in `X-CSRF-Token` or a
 * `_csrf` form field and, when the browser says where they come from (`Origin`), the same
 * origin. Bearer and Basic requests carry no ambient credential and are exempt; anonymous
 * requests have nothing to forge, except a login, which the login route checks itself
 * (`loginCsrf`), whatever spelling of its path reached it. Also gives every request
 * `req.csrfToken()` for the pages and `GET /session`.
 */
export function csrfProtection(tokens: CsrfTokens): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    req.csrfToken = () => tokens.tokenFor(req, res);
    if (SAFE_METHODS.has(req.method) || req.user?.via !== 'session') {
      next();
      return;
    }
    if (!tokens.refuse(req, res)) next();
  };
}

/** The login route's own check: a forged login would sign the victim into the attacker's account. */
export function loginCsrf(tokens: CsrfTokens): RequestHandler {
  return (req, res, next) => {
    if (!tokens.refuse(req, res)) next();
  };
}

/** The CSRF token of this request (set up by `csrfProtection`). */
export function csrfToken(req: Request): string {
  if (!req.csrfToken) throw new Error('csrfProtection is not installed');
  return req.csrfToken();
}
