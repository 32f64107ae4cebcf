#!/usr/bin/env node
import { type Component, EXIT_WATCHDOG_MS, runService } from '../../../common/lifecycle/index.js';
import { createLogger } from '../../../common/logging/index.js';
import { AlertService } from './alerting/service.js';
import { describeError, type GlobalOptions, readConfig } from './cli/context.js';
import { buildProgram } from './cli/program.js';
import { logFile, STOP_DEADLINE_MS } from './config.js';
import { type AppDeps, buildDeps } from './deps.js';
import { WebappServer } from './server.js';

/** Entry point of `numeter-webapp`: only wires config → deps → server, or runs one command. */
const out = (line: string) => process.stdout.write(`${line}\n`);

async function serve(options: GlobalOptions): Promise<void> {
  const config = readConfig(options);
  const logger = createLogger({ name: 'numeter-webapp', level: config.logging.level, file: logFile(config) });
  const deps = buildDeps(config, { logger });
  // The server migrates the database, so the engine starts after it (and stops before it).
  const alerting = config.alerting.enabled ? [new AlertService({ config, pool: deps.pool, logger })] : [];
  process.exitCode = await runService([sharedDeps(deps), new WebappServer(deps), ...alerting], {
    name: 'webapp',
    logger,
    stopDeadlineMs: STOP_DEADLINE_MS,
    exitWatchdogMs: EXIT_WATCHDOG_MS,
  });
}

/** `numeter-webapp alerter`: the alerting engine alone, without HTTP, for large installations. */
async function alerter(options: GlobalOptions): Promise<void> {
  const config = readConfig(options);
  const logger = createLogger({ name: 'numeter-alerter', level: config.logging.level, file: logFile(config) });
  const deps = buildDeps(config, { logger });
  process.exitCode = await runService([sharedDeps(deps), new AlertService({ config, pool: deps.pool, logger })], {
    name: 'alerter',
    logger,
    stopDeadlineMs: STOP_DEADLINE_MS,
    exitWatchdogMs: EXIT_WATCHDOG_MS,
  });
}

/**
 * The database pool and PNG workers as the first component: stopped last, after the server
 * (no new requests, the running ones finish) and the engine that use them.
 */
function sharedDeps(deps: AppDeps): Component {
  return { name: 'deps', start: async () => {}, stop: () => deps.close(), stats: () => ({}) };
}

buildProgram(out, serve, alerter)
  .parseAsync(process.argv)
  .catch((error) => {
    const { message, code } = describeError(error);
    process.stderr.write(`numeter-webapp: ${message}\n`);
    process.exit(code);
  });
