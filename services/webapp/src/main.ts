#!/usr/bin/env node
import { Command } from 'commander';
import { createLogger } from '../../../common/logging/index.js';
import { registerAccountCommands } from './cli/accounts.js';
import { type GlobalOptions, describeError, readConfig, withDeps } from './cli/context.js';
import { registerInventoryCommands } from './cli/inventory.js';
import { printableConfig } from './config.js';
import { migrate } from './db/migrations.js';
import { buildDeps } from './deps.js';
import { WebappServer } from './server.js';

/**
 * `numeter-webapp [serve] | migrate | user | group | storage | host | populate | skeleton | token`.
 * The entry point only wires: config → deps → server or command.
 */
const out = (line: string) => process.stdout.write(`${line}\n`);

async function serve(options: GlobalOptions): Promise<void> {
  const config = readConfig(options);
  const logger = createLogger({ name: 'numeter-webapp', level: config.logging.level, file: config.logging.file || undefined });
  const server = new WebappServer(buildDeps(config, { logger }));
  await server.start();
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'stopping');
    server.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

export function buildProgram(): Command {
  const program = new Command('numeter-webapp')
    .description('Numeter webapp: users, hosts, views, dashboards and graphs over the storages')
    .option('-c, --config <file>', 'INI file (default /etc/numeter/numeter_webapp.cfg if present)')
    .option('--print-config', 'print the effective configuration (secrets masked) and exit')
    .showHelpAfterError();
  const global = () => program.opts<GlobalOptions & { printConfig?: boolean }>();
  program.hook('preAction', () => {
    if (global().printConfig) {
      out(printableConfig(readConfig(global())));
      process.exit(0);
    }
  });
  program.command('serve', { isDefault: true }).description('run the web server (default)').action(() => serve(global()));
  program
    .command('migrate')
    .description('apply the database migrations')
    .action(() =>
      withDeps(global(), async (deps) => {
        const r = await migrate(deps.pool);
        out(r.applied.length ? `applied migrations ${r.applied.join(', ')}; schema version ${r.current}` : `schema up to date (version ${r.current})`);
      }),
    );
  registerAccountCommands(program, global, out);
  registerInventoryCommands(program, global, out);
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((error) => {
    const { message, code } = describeError(error);
    process.stderr.write(`numeter-webapp: ${message}\n`);
    process.exit(code);
  });
