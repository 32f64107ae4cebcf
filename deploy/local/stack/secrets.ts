import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Secrets generated at the first start and kept in `<stateDir>/secrets.json` (0600), so a
 * second start reuses the same admin password, database password and session key.
 */
export interface StackSecrets {
  adminPassword: string;
  dbPassword: string;
  secretKey: string;
}

export function secretsFile(stateDir: string): string {
  return join(stateDir, 'secrets.json');
}

function generated(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

export function loadOrCreateSecrets(stateDir: string): { secrets: StackSecrets; created: boolean } {
  const file = secretsFile(stateDir);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<StackSecrets>;
    const secrets: StackSecrets = {
      adminPassword: stored.adminPassword ?? generated(12),
      dbPassword: stored.dbPassword ?? generated(18),
      secretKey: stored.secretKey ?? generated(32),
    };
    writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
    return { secrets, created: false };
  }
  const secrets: StackSecrets = { adminPassword: generated(12), dbPassword: generated(18), secretKey: generated(32) };
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return { secrets, created: true };
}
