import type { RequestHandler } from 'express';
import type { Pool } from 'mysql2/promise';
import { PngRenderPool } from '../../../common/charts/index.js';
import { type Clock, systemClock } from '../../../common/lifecycle/index.js';
import { createLogger, type Logger } from '../../../common/logging/index.js';
import { Access } from './access.js';
import { loginLimiter } from './auth/credentials.js';
import { logFile, type WebappConfig } from './config.js';
import { createPool } from './db/pool.js';
import { createRepositories, type Repositories } from './repos/index.js';
import { StorageGateway } from './storage-client/gateway.js';
import { type RetryPolicy, sleepMs } from './storage-client/retry.js';

/** Everything the routers need; built once by the entry point (or a test) and passed down. */
export interface AppDeps {
  config: WebappConfig;
  pool: Pool;
  repos: Repositories;
  storages: StorageGateway;
  access: Access;
  logger: Logger;
  now: () => Date;
  /** Failed password checks per client address: login form, HTTP Basic, set_password. */
  loginLimiter: RequestHandler;
  /** PNG renders off the event loop, bounded (common/charts). */
  png: PngRenderPool;
  /** Ends what buildDeps opened: the PNG workers, and the database pool unless it was given. */
  close: () => Promise<void>;
}

export function buildDeps(config: WebappConfig, options: { pool?: Pool; logger?: Logger; clock?: Clock; now?: () => Date } = {}): AppDeps {
  const clock = options.clock ?? systemClock;
  const now = options.now ?? (() => new Date(clock.nowMs()));
  const pool = options.pool ?? createPool(config.database);
  const logger = options.logger ?? createLogger({ name: 'numeter-webapp', level: config.logging.level, file: logFile(config) });
  const repos = createRepositories(pool, now);
  const storages = new StorageGateway(repos.storages, {
    timeoutMs: config.storage.timeout * 1000,
    hostsCacheMs: config.storage.hosts_cache * 1000,
    now: () => now().getTime(),
    retry: retryPolicy(config, config.storage.retry_deadline),
  });
  const png = new PngRenderPool();
  const close = async () => {
    await png.stop();
    if (!options.pool) await pool.end();
  };
  return {
    config,
    pool,
    repos,
    storages,
    access: new Access(repos),
    logger,
    now,
    loginLimiter: loginLimiter(config.web.login_attempts),
    png,
    close,
  };
}

/** The retry policy of `[storage]` with the given total deadline (seconds); waits are real time. */
export function retryPolicy(config: WebappConfig, deadlineSeconds: number): RetryPolicy {
  return {
    maxWaitMs: config.storage.retry_max_wait * 1000,
    deadlineMs: deadlineSeconds * 1000,
    baseWaitMs: 250,
    now: () => systemClock.nowMs(),
    sleep: sleepMs,
  };
}
