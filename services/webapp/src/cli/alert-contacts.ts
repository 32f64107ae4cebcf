import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { readMuninConf } from '../../../../common/munin/src/munin-conf.js';
import { importMuninContacts } from '../alerting/delivery/munin-contacts.js';
import { type GlobalOptions, type Out, UsageError, withDeps } from './context.js';

/** `import-munin-contacts`: munin.conf's `contact.*` as numeter command contacts (alerting/delivery/munin-contacts.ts). */
export function registerAlertContactCommands(program: Command, global: () => GlobalOptions, out: Out): void {
  program
    .command('import-munin-contacts')
    .description('create or update a command contact munin-NAME for each munin.conf contact.NAME.command (idempotent)')
    .option('--conf <file>', 'the Munin master configuration', '/etc/munin/munin.conf')
    .option('--dry-run', 'say what would change, change nothing')
    .action((o: { conf: string; dryRun?: boolean }) =>
      withDeps(global(), async (deps) => {
        if (!existsSync(o.conf)) throw new UsageError(`--conf ${o.conf}: no such file`);
        const result = await importMuninContacts(deps.pool, readMuninConf(o.conf), { dryRun: o.dryRun });
        for (const problem of result.problems) out(`warning: ${problem}`);
        for (const kind of ['created', 'updated', 'unchanged'] as const)
          for (const name of result[kind]) out(`${o.dryRun && kind !== 'unchanged' ? `would be ${kind}` : kind}: ${name}`);
        out(`${result.created.length} created, ${result.updated.length} updated, ${result.unchanged.length} unchanged`);
      }),
    );
}
