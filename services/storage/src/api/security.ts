import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { ApiSettings } from './deps.js';
import { ApiError, UnauthorizedError } from './errors.js';

/**
 * Who a request is, then how much it may ask. `identify` recognises the credentials
 * (`Authorization: Bearer <token>` of `auth_tokens` or `client_tokens`, or
 * `Authorization: Basic <user:password>` of `basic_auth_users`) and records the rate
 * bucket of the request: one per credential, so Grafana, the webapp and curl users
 * each have their own limit however many people stand behind them, and one per client
 * address for requests without credentials (the address comes from X-Forwarded-For only
 * when `trust_proxy` says which proxy to believe). The limiter then counts the request in
 * its bucket, and only after that does `requireAuth` refuse anonymous requests, so
 * password guessing is limited per address too. Secrets are compared as SHA-256 digests
 * with timingSafeEqual, against every secret, so timing reveals neither which one matched
 * nor its length.
 */
export interface Identity {
  /** Rate bucket: `client:<name>`, `token:<n>`, `user:<name>` or `address:<ip>`. */
  bucket: string;
  /** Requests per minute for this bucket; 0 = unlimited. */
  ratePerMinute: number;
  authenticated: boolean;
}

interface Credential {
  digest: Buffer;
  bucket: string;
  ratePerMinute: number;
}

export function authRequired(settings: ApiSettings): boolean {
  return settings.authTokens.length > 0 || settings.clients.length > 0 || Object.keys(settings.basicUsers).length > 0;
}

export function identifyMiddleware(settings: ApiSettings): RequestHandler {
  const bearers: Credential[] = [
    ...settings.clients.map((c) => ({ digest: digest(c.token), bucket: `client:${c.name}`, ratePerMinute: c.ratePerMinute })),
    ...settings.authTokens.map((t, i) => ({ digest: digest(t), bucket: `token:${i}`, ratePerMinute: settings.rateLimitPerMinute })),
  ];
  const users = new Map(Object.entries(settings.basicUsers).map(([user, password]) => [user, digest(password)]));
  return (req, res, next) => {
    const credential = matchCredential(req.headers.authorization, bearers, users, settings.rateLimitPerMinute);
    const identity: Identity = credential
      ? { bucket: credential.bucket, ratePerMinute: credential.ratePerMinute, authenticated: true }
      : { bucket: `address:${ipKeyGenerator(req.ip ?? 'unknown')}`, ratePerMinute: settings.rateLimitPerMinute, authenticated: false };
    res.locals.identity = identity;
    next();
  };
}

/** 401 for requests without valid credentials (after the limiter counted them). */
export function requireAuthMiddleware(settings: ApiSettings): RequestHandler | null {
  if (!authRequired(settings)) return null;
  const bearer = settings.authTokens.length > 0 || settings.clients.length > 0;
  const basic = Object.keys(settings.basicUsers).length > 0;
  const schemes = [bearer ? 'Bearer realm="numeter-storage"' : '', basic ? 'Basic realm="numeter-storage"' : ''].filter(Boolean).join(', ');
  return (_req, res, next) => {
    if (identityOf(res).authenticated) {
      next();
      return;
    }
    res.setHeader('WWW-Authenticate', schemes);
    next(new UnauthorizedError());
  };
}

/** Requests per minute per bucket; 429 with an `ErrorResponse` naming the limit. Null when every limit is off. */
export function rateLimitMiddleware(settings: ApiSettings): RequestHandler | null {
  if (settings.rateLimitPerMinute <= 0 && settings.clients.every((c) => c.ratePerMinute <= 0)) return null;
  return rateLimit({
    windowMs: 60_000,
    limit: (_req: Request, res: Response) => identityOf(res).ratePerMinute,
    keyGenerator: (_req: Request, res: Response) => identityOf(res).bucket,
    skip: (_req: Request, res: Response) => identityOf(res).ratePerMinute <= 0,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    // The key is our own bucket (never a raw req.ip), and trust proxy is configured on purpose.
    validate: { keyGeneratorIpFallback: false, trustProxy: false, xForwardedForHeader: false },
    handler: (_req, res, next) => {
      const identity = identityOf(res);
      const limit = identity.bucket.startsWith('client:')
        ? `the rate of client ${identity.bucket.slice('client:'.length)} in client_tokens (${identity.ratePerMinute})`
        : `rate_limit_per_minute (${identity.ratePerMinute})`;
      next(new ApiError(429, `too many requests: more than ${limit} per minute for this ${describeBucket(identity)}`));
    },
  });
}

function identityOf(res: Response): Identity {
  return res.locals.identity as Identity;
}

function describeBucket(identity: Identity): string {
  return identity.authenticated ? 'credential' : 'client address';
}

function matchCredential(
  header: string | undefined,
  bearers: Credential[],
  users: Map<string, Buffer>,
  userRate: number,
): Credential | null {
  if (!header) return null;
  const space = header.indexOf(' ');
  if (space < 0) return null;
  const scheme = header.slice(0, space).toLowerCase();
  const credentials = header.slice(space + 1).trim();
  if (scheme === 'bearer') {
    const given = digest(credentials);
    // Compare against every token so the time does not depend on which one matched.
    let found: Credential | null = null;
    for (const bearer of bearers) if (timingSafeEqual(bearer.digest, given) && found === null) found = bearer;
    return found;
  }
  if (scheme === 'basic') {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return null;
    const user = decoded.slice(0, colon);
    const expected = users.get(user);
    // Unknown users still pay for one comparison.
    const ok = timingSafeEqual(expected ?? digest('\u0000unknown-user'), digest(decoded.slice(colon + 1)));
    return ok && expected !== undefined ? { digest: expected, bucket: `user:${user}`, ratePerMinute: userRate } : null;
  }
  return null;
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}
