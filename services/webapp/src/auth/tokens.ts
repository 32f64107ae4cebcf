import { createHash, randomBytes } from 'node:crypto';
import type { Repositories, Token } from '../repos/index.js';

/**
 * API tokens for scripts: `nmt_` + 32 random bytes. Only the SHA-256 of a token is stored (a
 * slow hash adds nothing for 256 random bits and would cost an argon2 run per request);
 * the token itself is shown once at creation.
 */
const PREFIX = 'nmt_';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function createToken(repos: Repositories, userId: number, name: string): Promise<{ token: string; row: Token }> {
  const token = PREFIX + randomBytes(32).toString('base64url');
  const id = await repos.tokens.create(userId, name, token.slice(0, 10), hashToken(token));
  const row = await repos.tokens.get(id);
  if (!row) throw new Error(`token ${id} vanished after creation`);
  return { token, row };
}

/** The user id of a token, or null when the header is not a known token. */
export function userIdOfToken(repos: Repositories, token: string): Promise<number | null> {
  if (!token.startsWith(PREFIX) || token.length > 100) return Promise.resolve(null);
  return repos.tokens.use(hashToken(token));
}
