import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';

/**
 * Creates the webapp's database (and, when asked, its own MariaDB user with the stack's
 * generated password). Connects as the admin user over TCP; when that is refused (Debian's
 * root uses unix_socket authentication) it falls back to the `mariadb` client over the
 * socket, which works for the system's root user.
 */
export class DatabaseSetupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseSetupError';
  }
}

const run = promisify(execFile);

export interface DatabaseSetup {
  host: string;
  port: number;
  name: string;
  adminUser: string;
  adminPassword: string;
  /** Create this user with `appPassword` and grant it the database. */
  appUser?: string;
  appPassword?: string;
}

const ident = (name: string) => `\`${name.replace(/`/g, '``')}\``;
const literal = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export function setupStatements(setup: DatabaseSetup): string[] {
  if (!/^[A-Za-z0-9_]{1,64}$/.test(setup.name))
    throw new DatabaseSetupError(`database name ${JSON.stringify(setup.name)}: letters, digits and _ only`);
  const statements = [`CREATE DATABASE IF NOT EXISTS ${ident(setup.name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`];
  if (setup.appUser) {
    for (const from of ['localhost', '127.0.0.1']) {
      const account = `${literal(setup.appUser)}@${literal(from)}`;
      statements.push(`CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY ${literal(setup.appPassword ?? '')}`);
      statements.push(`ALTER USER ${account} IDENTIFIED BY ${literal(setup.appPassword ?? '')}`);
      statements.push(`GRANT ALL PRIVILEGES ON ${ident(setup.name)}.* TO ${account}`);
    }
  }
  return statements;
}

export async function ensureDatabase(setup: DatabaseSetup): Promise<'tcp' | 'socket'> {
  const statements = setupStatements(setup);
  let connection: mysql.Connection | undefined;
  try {
    connection = await mysql.createConnection({ host: setup.host, port: setup.port, user: setup.adminUser, password: setup.adminPassword });
  } catch (tcpError) {
    try {
      await run('mariadb', ['-u', setup.adminUser, '-e', `${statements.join(';\n')};`]);
      return 'socket';
    } catch (socketError) {
      throw new DatabaseSetupError(
        `cannot create database ${setup.name}: as ${setup.adminUser}@${setup.host}:${setup.port}: ${(tcpError as Error).message}; ` +
          `with the mariadb client over the socket: ${(socketError as Error).message.split('\n')[0]}. ` +
          'Set NUMETER_START_DB_ADMIN_USER / NUMETER_START_DB_ADMIN_PASSWORD to an account that may create databases and users.',
        { cause: socketError },
      );
    }
  }
  try {
    for (const statement of statements) await connection.query(statement);
    return 'tcp';
  } catch (error) {
    throw new DatabaseSetupError(`cannot create database ${setup.name}: ${(error as Error).message}`, { cause: error });
  } finally {
    await connection.end().catch(() => {});
  }
}

export async function dropDatabase(setup: Pick<DatabaseSetup, 'host' | 'port' | 'name' | 'adminUser' | 'adminPassword'>): Promise<void> {
  const connection = await mysql.createConnection({
    host: setup.host,
    port: setup.port,
    user: setup.adminUser,
    password: setup.adminPassword,
  });
  try {
    await connection.query(`DROP DATABASE IF EXISTS ${ident(setup.name)}`);
  } finally {
    await connection.end().catch(() => {});
  }
}
