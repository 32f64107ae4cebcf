#!/usr/bin/env -S node --max-semi-space-size=32
import { Command } from 'commander';
import { ConfigError } from '../../../common/config/index.js';
import { EXIT_BAD_CONFIG, EXIT_WATCHDOG_MS, runService } from '../../../common/lifecycle/index.js';
import { createLogger } from '../../../common/logging/index.js';
import { DEFAULT_CONFIG_FILE, loadStorageConfig, pinoLevel, printableConfig, readHostList, type StorageConfig } from './config.js';
import { type ImportCommandOptions, runMuninImport } from './import/command.js';
import { STORAGE_STOP_MS, StorageService } from './storage-service.js';

/**
 * numeter-storage: reads the configuration, builds the service and runs it (runService)
 * until SIGTERM or SIGINT, then stops it (consumers first, cache drained, everything acked
 * and closed). Exit codes as every service (common/lifecycle): 0 stopped cleanly, 1 failed
 * start or stop, 2 bad configuration or disabled (`enable = false`).
 */
const program = new Command('numeter-storage')
  .description('Consume poller messages from RabbitMQ into Whisper files, index them in Redis, serve the REST API')
  .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG_FILE)
  .option('--print-config', 'print the effective configuration (secrets masked) and exit')
  .option('--rebuild-index', 'rebuild the Redis index from the file tree and exit')
  .action(() => run(main));
program
  .command('import-munin')
  .description("Import a Munin master's RRD history and graph settings into this storage's files and index, then exit")
  .option('--dbdir <dir>', "Munin's dbdir (default: munin.conf's dbdir, else /var/lib/munin)")
  .option('--conf <file>', "Munin's munin.conf, for its dbdir")
  .option('--host-id-format <format>', "host IDs, as the poller's [MuninModule] host_id_format", '{name}')
  .action((importOptions: ImportCommandOptions) => run(() => importCommand(importOptions)));
/** Read after parsing (commander fills them in then). */
const options = () => program.opts<{ config: string; printConfig?: boolean; rebuildIndex?: boolean }>();

function loadConfigOrReport(): { config: StorageConfig; hostIds: string[] } | null {
  try {
    const config = loadStorageConfig({ file: options().config, fileRequired: program.getOptionValueSource('config') === 'cli' });
    return { config, hostIds: readHostList(config.global.host_list_file, false) };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`numeter-storage: ${error.message}\n`);
    return null;
  }
}

/** Exit codes: 0 imported (skipped files are listed on stderr), 1 nothing readable, 2 bad configuration. */
async function importCommand(importOptions: ImportCommandOptions): Promise<number> {
  const loaded = loadConfigOrReport();
  if (!loaded) return EXIT_BAD_CONFIG;
  const logger = createLogger({
    name: 'numeter-storage',
    level: pinoLevel(loaded.config.global.log_level),
    file: loaded.config.global.log_path || undefined,
  });
  try {
    const report = await runMuninImport(loaded.config, importOptions, logger);
    for (const problem of report.skipped) process.stderr.write(`numeter-storage import-munin: ${problem}\n`);
    const { skipped, ...figures } = report;
    process.stdout.write(`${JSON.stringify({ ...figures, skipped: skipped.length })}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`numeter-storage import-munin: ${(error as Error).message}\n`);
    return 1;
  }
}

async function main(): Promise<number> {
  const loaded = loadConfigOrReport();
  if (!loaded) return EXIT_BAD_CONFIG;
  const { config, hostIds } = loaded;
  if (options().printConfig) {
    process.stdout.write(printableConfig(config));
    return 0;
  }
  if (!config.global.enable) {
    process.stderr.write('numeter-storage: disabled in the configuration ([global] enable = false); not starting\n');
    return EXIT_BAD_CONFIG;
  }
  const logger = createLogger({
    name: 'numeter-storage',
    level: pinoLevel(config.global.log_level),
    file: config.global.log_path || undefined,
  });
  const service = new StorageService({ config, hostIds, logger });
  if (options().rebuildIndex) {
    try {
      await service.index.connect();
      process.stdout.write(`${JSON.stringify(await service.rebuildIndex())}\n`);
    } finally {
      await service.index.close();
    }
    return 0;
  }
  // One component: the service orders its own parts (consumers first on stop) and undoes a failed start.
  return runService([service], {
    name: 'storage',
    logger,
    stopDeadlineMs: STORAGE_STOP_MS,
    exitWatchdogMs: EXIT_WATCHDOG_MS,
    summary: () => service.cacheStats(),
  });
}

// No process.exit(): once the orderly stop is done nothing is left running (consumers,
// cache, Redis and API all closed; `numeter-storage` exits on its own, tested by kill9.test.ts).
function run(command: () => Promise<number>): Promise<void> {
  return command().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`numeter-storage: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}

program.parseAsync();
