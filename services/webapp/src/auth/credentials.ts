import type { Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Repositories, User } from '../repos/index.js';
import { dummyPasswordHash, verifyPassword } from './passwords.js';

const LOGIN_WINDOW_MS = 15 * 60_000;
/** Longer names or passwords than any account can have are refused before hashing. */
const MAX_USERNAME = 150;
const MAX_PASSWORD = 1024;

/**
 * The user whose password this is, or null. An unknown user costs the same argon2
 * verification as a wrong password (no user-name oracle through timing).
 */
export async function checkCredentials(repos: Repositories, username: string, password: string): Promise<User | null> {
  if (username.length > MAX_USERNAME || password.length > MAX_PASSWORD) return null;
  const user = username ? await repos.users.byUsername(username) : null;
  const stored = user ? await repos.users.passwordHash(user.id) : null;
  const ok = await verifyPassword(stored ?? (await dummyPasswordHash()), password);
  return ok && user && stored ? user : null;
}

/**
 * Failed password checks per client address (`[web] login_attempts` per 15 minutes, then 429),
 * shared by the login form, HTTP Basic on the API and `set_password`'s current password. A
 * route marks success with `res.locals.loginSucceeded = true`; only failures count.
 */
export function loginLimiter(attempts: number): RequestHandler {
  return rateLimit({
    windowMs: LOGIN_WINDOW_MS,
    limit: attempts,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    skipSuccessfulRequests: true,
    // a failed form login is a 303 redirect, so success is what the route says, not the status
    requestWasSuccessful: (_req, res) => res.locals.loginSucceeded === true,
    handler: (_req, res) => {
      res.status(429).json({ error: 'too many login attempts, try again later' });
    },
  });
}

/** Runs the limiter inside a handler: false when it answered 429 (the request must stop there). */
export async function passesLimit(limiter: RequestHandler, req: Request, res: Response): Promise<boolean> {
  let passed = false;
  let failure: unknown;
  await limiter(req, res, (err?: unknown) => {
    if (err) failure = err;
    else passed = true;
  });
  if (failure) throw failure;
  return passed;
}
