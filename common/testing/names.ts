import { randomBytes } from 'node:crypto';

/**
 * `<owner>-<kind>-<8 hex>`: a name no other test run uses at the same time, for Redis
 * prefixes, storage and host names, databases. `owner` says who made it when one leaks.
 */
export function uniqueName(kind: string, owner = 'test'): string {
  return `${owner}-${kind}-${randomBytes(4).toString('hex')}`;
}
