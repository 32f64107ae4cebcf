import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

/** argon2id with the library defaults (m=19456 KiB, t=2, p=1, the OWASP minimum). */
const ARGON2ID = 2; // Algorithm.Argon2id (a const enum, not importable under isolated modules)

export function hashPassword(password: string): Promise<string> {
  return hash(password, { algorithm: ARGON2ID });
}

/** False for a wrong password and for a malformed stored hash. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/** A password for `user add` without `--password`: 18 random bytes, URL-safe, printed once. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

/** Compared against when the username is unknown, so both paths cost one argon2 verification. */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(generatePassword());
  return dummyHash;
}
