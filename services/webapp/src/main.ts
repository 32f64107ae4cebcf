#!/usr/bin/env node
import { createLogger } from '../../../common/logging/index.js';
import { describeError, type GlobalOptions, readConfig } from './cli/context.js';
import { buildProgram } from './cli/program.js';
import { logFile } from './config.js';
import { buildDeps } from './deps.js';
import { WebappServer } from './server.js';

/** Entry point of `numeter-webapp`: only wires config → deps → server, or runs one command. */
const out = (line: string) => process.stdout.write(`${line}\n`);

async function serve(options: GlobalOptions): Promise<void> {
  const config = readConfig(options);
  const logger = createLogger({ name: 'numeter-webapp', level: config.logging.level, file: logFile(config) });
  const deps = buildDeps(config, { logger });
  const server = new WebappServer(deps);
  await server.start();
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'stopping');
    server
      .stop()
      .then(() => deps.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

buildProgram(out, serve)
  .parseAsync(process.argv)
  .catch((error) => {
    const { message, code } = describeError(error);
    process.stderr.write(`numeter-webapp: ${message}\n`);
    process.exit(code);
  });
