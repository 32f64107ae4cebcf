import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { ApiSettings } from './deps.js';
import { ApiError, UnauthorizedError } from './errors.js';

/**
 * Optional authentication: when tokens or users are configured, every request needs
 * `Authorization: Bearer <token>` or `Authorization: Basic <user:password>`. Secrets are
 * compared as SHA-256 digests with timingSafeEqual, so neither the content nor the
 * length of a secret leaks through timing.
 */
export function authMiddleware(settings: ApiSettings): RequestHandler | null {
  const tokens = settings.authTokens.map(digest);
  const users = new Map(Object.entries(settings.basicUsers).map(([user, password]) => [user, digest(password)]));
  if (tokens.length === 0 && users.size === 0) return null;
  const schemes = [tokens.length ? 'Bearer realm="numeter-storage"' : '', users.size ? 'Basic realm="numeter-storage"' : '']
    .filter(Boolean)
    .join(', ');
  return (req, res, next) => {
    if (accepted(req.headers.authorization, tokens, users)) {
      next();
      return;
    }
    res.setHeader('WWW-Authenticate', schemes);
    next(new UnauthorizedError());
  };
}

function accepted(header: string | undefined, tokens: Buffer[], users: Map<string, Buffer>): boolean {
  if (!header) return false;
  const space = header.indexOf(' ');
  if (space < 0) return false;
  const scheme = header.slice(0, space).toLowerCase();
  const credentials = header.slice(space + 1).trim();
  if (scheme === 'bearer') {
    const given = digest(credentials);
    // Compare against every token so the time does not depend on which one matched.
    return tokens.reduce((ok, token) => timingSafeEqual(token, given) || ok, false);
  }
  if (scheme === 'basic') {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const expected = users.get(decoded.slice(0, colon));
    const given = digest(decoded.slice(colon + 1));
    // Unknown users still pay for one comparison.
    return timingSafeEqual(expected ?? digest('\u0000unknown-user'), given) && expected !== undefined;
  }
  return false;
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** Per-client-address request limit; answers 429 with an `ErrorResponse`. */
export function rateLimitMiddleware(settings: ApiSettings): RequestHandler | null {
  if (settings.rateLimitPerMinute <= 0) return null;
  return rateLimit({
    windowMs: 60_000,
    limit: settings.rateLimitPerMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (_req, _res, next) => {
      next(new ApiError(429, `too many requests: more than rate_limit_per_minute (${settings.rateLimitPerMinute}) per minute`));
    },
  });
}
