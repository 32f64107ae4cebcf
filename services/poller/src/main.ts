#!/usr/bin/env -S node --max-semi-space-size=2 --heap-growing-percent=100
import { Command } from 'commander';
import { ConfigError } from '../../../common/config/index.js';
import { EXIT_BAD_CONFIG, EXIT_FAILURE, EXIT_WATCHDOG_MS, runService } from '../../../common/lifecycle/index.js';
import { createLogger } from '../../../common/logging/index.js';
import { DEFAULT_CONFIG_FILE, loadPollerConfig, type PollerConfig, pinoLevel, printableConfig } from './config/schema.js';
import { buildPoller } from './poller-service.js';

/**
 * numeter-poller: the entry point only reads the configuration, builds the components
 * and runs them (docs/poller.md). Exit codes as every service (common/lifecycle).
 * The shebang's V8 flags (the systemd unit and the Docker entrypoint pass the same; why
 * each: docs/poller.md "Memory"): --max-semi-space-size=2 caps the young generation (the
 * poller allocates little per poll: ~69 MB RSS instead of ~87 MB, bench/poller);
 * --heap-growing-percent=100 lets the old space grow to 2x what a full GC left instead
 * of up to 4x (a central poller of 1,000 munin-nodes: ~170 MB instead of ~285 MB RSS,
 * bench/munin-central).
 */
interface CliOptions {
  config?: string;
  once?: boolean;
  simulate?: boolean;
  printConfig?: boolean;
}

const program = new Command()
  .name('numeter-poller')
  .description('Collects munin-node, system and custom module metrics and publishes them to numeter storages through a durable spool.')
  .option('-c, --config <file>', `configuration file (default ${DEFAULT_CONFIG_FILE}, optional unless given)`)
  .option('--once', 'run one poll (with host and plugin info), deliver it, and exit')
  .option('--simulate', 'print the messages as JSON lines on standard output instead of publishing them')
  .option('--print-config', 'print the effective configuration (secrets masked) and exit')
  .action(async (options: CliOptions) => {
    process.exitCode = await main(options);
  });

await program.parseAsync();

async function main(options: CliOptions): Promise<number> {
  let config: PollerConfig;
  try {
    config = loadPollerConfig({ file: options.config ?? DEFAULT_CONFIG_FILE, fileRequired: options.config !== undefined });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`numeter-poller: ${error.message}\n`);
    return EXIT_BAD_CONFIG;
  }
  if (options.printConfig) {
    process.stdout.write(printableConfig(config));
    return 0;
  }
  if (!config.global.enable) {
    process.stderr.write('numeter-poller: disabled in the configuration ([global] enable = false); not starting\n');
    return EXIT_BAD_CONFIG;
  }
  const logger = createLogger({
    name: 'numeter-poller',
    level: pinoLevel(config.global.log_level),
    file: config.global.log_path || undefined,
  });
  const mode = { once: options.once === true, simulate: options.simulate === true || config.global.simulate };
  try {
    const poller = await buildPoller(config, mode, logger);
    return await runService(poller.components, {
      name: 'poller',
      logger,
      stopDeadlineMs: config.global.stop_deadline * 1000,
      exitWatchdogMs: EXIT_WATCHDOG_MS,
      ...(poller.run && { run: poller.run }),
      summary: poller.summary,
    });
  } catch (error) {
    logger.fatal({ reason: (error as Error).message }, 'poller stopped');
    return EXIT_FAILURE;
  }
}
