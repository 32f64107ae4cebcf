import mysql, { type Pool } from 'mysql2/promise';
import type { WebappConfig } from '../config.js';

/** The one connection pool of the process. Dates are read and written as UTC. */
export function createPool(database: WebappConfig['database']): Pool {
  return mysql.createPool({
    host: database.host,
    port: database.port,
    user: database.user,
    password: database.password,
    database: database.name,
    connectionLimit: database.connection_limit,
    timezone: 'Z',
    dateStrings: false,
    supportBigNumbers: true,
    charset: 'utf8mb4',
  });
}
