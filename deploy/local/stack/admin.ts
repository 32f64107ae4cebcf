import mysql from 'mysql2/promise';
import { verifyPassword } from '../../../services/webapp/src/auth/passwords.js';
import type { StackOptions } from './options.js';
import type { StackSecrets } from './secrets.js';

/**
 * The first admin, so that the login `npm start` prints always works: created with the
 * stack's generated password; kept when it already has that password; when the database
 * has an admin with another password (a second checkout, or `.numeter/` removed), a freshly
 * generated secrets file means nobody knows the old one here, so it is set to the printed one;
 * with kept secrets the admin changed it in the webapp on purpose, and it is left alone
 * (then no password is printed).
 */
export interface AdminOutcome {
  line: string;
  /** The printed password logs in. */
  passwordWorks: boolean;
}

export type WebappCli = (args: string[]) => Promise<string>;

export async function ensureAdmin(
  options: StackOptions,
  secrets: StackSecrets,
  secretsCreated: boolean,
  cli: WebappCli,
): Promise<AdminOutcome> {
  const username = options.adminUsername;
  const stored = await storedPasswordHash(options, secrets, username);
  if (stored === null) {
    await cli(['user', 'add', '-u', username, '-S', '-p', secrets.adminPassword]);
    return { line: `created admin user ${username}`, passwordWorks: true };
  }
  if (await verifyPassword(stored, secrets.adminPassword))
    return { line: `admin user ${username} exists (password kept)`, passwordWorks: true };
  if (secretsCreated) {
    await cli(['user', 'mod', '-u', username, '-p', secrets.adminPassword]);
    return { line: `admin user ${username} existed with an unknown password: set to the one printed below`, passwordWorks: true };
  }
  return { line: `admin user ${username} exists; its password was changed in the webapp (kept)`, passwordWorks: false };
}

/** The admin's argon2 hash, read as the webapp reads it; null when there is no such user. */
async function storedPasswordHash(options: StackOptions, secrets: StackSecrets, username: string): Promise<string | null> {
  const db = options.database;
  const connection = await mysql.createConnection({
    host: db.host,
    port: db.port,
    user: db.appUser ?? db.adminUser,
    password: db.appUser ? secrets.dbPassword : db.adminPassword,
    database: db.name,
  });
  try {
    const [rows] = await connection.query<mysql.RowDataPacket[]>('SELECT password_hash FROM users WHERE username = ?', [username]);
    return rows.length ? String(rows[0].password_hash) : null;
  } finally {
    await connection.end();
  }
}
