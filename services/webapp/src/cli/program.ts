import { Command } from 'commander';
import { printableConfig } from '../config.js';
import { migrate } from '../db/migrations.js';
import { registerAccountCommands } from './accounts.js';
import { registerAlertContactCommands } from './alert-contacts.js';
import { type GlobalOptions, type Out, readConfig, UsageError, withDeps } from './context.js';
import { registerInventoryCommands } from './inventory.js';

/**
 * `numeter-webapp [serve] | alerter | migrate | user | group | storage | host | populate | skeleton | token`,
 * built fresh per run so tests can run commands in-process; `serve` is given by the entry point.
 */
export function buildProgram(
  out: Out,
  serve: (options: GlobalOptions) => Promise<void>,
  alerter: (options: GlobalOptions) => Promise<void> = async () => {
    throw new UsageError('the alerter is run by the numeter-webapp entry point');
  },
): Command {
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
  program
    .command('serve', { isDefault: true })
    .description('run the web server (default)')
    .action(() => serve(global()));
  program
    .command('alerter')
    .description('run the alerting engine alone (no HTTP): evaluation, states and notifications')
    .action(() => alerter(global()));
  program
    .command('migrate')
    .description('apply the database migrations')
    .action(() =>
      withDeps(
        global(),
        async (deps) => {
          const r = await migrate(deps.pool);
          out(
            r.applied.length
              ? `applied migrations ${r.applied.join(', ')}; schema version ${r.current}`
              : `schema up to date (version ${r.current})`,
          );
        },
        undefined,
        { migrate: false },
      ),
    );
  registerAccountCommands(program, global, out);
  registerInventoryCommands(program, global, out);
  registerAlertContactCommands(program, global, out);
  return program;
}
