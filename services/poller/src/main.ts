#!/usr/bin/env -S node --max-semi-space-size=2
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { ConfigError } from '../../../common/config/index.js';
import { createLogger, type Logger } from '../../../common/logging/index.js';
import type { Message } from '../../../common/schemas/index.js';
import { resolveHostId } from './config/host-id.js';
import {
  DEFAULT_CONFIG_FILE,
  loadPollerConfig,
  moduleTimeoutOf,
  type PollerConfig,
  printableConfig,
  rateHeartbeatOf,
} from './config/schema.js';
import type { Pipeline } from './core/pipeline.js';
import { PollCycle } from './core/poll.js';
import { Scheduler } from './core/scheduler.js';
import { JsonLinesSink } from './core/sinks.js';
import { createModules } from './modules/registry.js';
import type { PollerModule } from './modules/types.js';
import { createSpoolPipeline } from './pipeline/spool-pipeline.js';
import { RateStateFile } from './rates/state-file.js';

/**
 * numeter-poller: the entry point only wires components (docs/poller.md).
 * Exit codes: 0 ok, 1 runtime failure, 2 invalid configuration or disabled.
 * The shebang caps V8's young generation (--max-semi-space-size=2): the poller allocates
 * little per poll, and without it the idle heap grows to ~87 MB RSS instead of ~69 MB
 * (bench/poller/main.ts).
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
  .action((options: CliOptions) => main(options));

await program.parseAsync();

async function main(options: CliOptions): Promise<void> {
  let config: PollerConfig;
  try {
    config = loadPollerConfig({ file: options.config ?? DEFAULT_CONFIG_FILE, fileRequired: options.config !== undefined });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`numeter-poller: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  if (options.printConfig) {
    process.stdout.write(printableConfig(config));
    return;
  }
  if (!config.global.enable) {
    process.stderr.write('numeter-poller: disabled in the configuration ([global] enable = false); not starting\n');
    process.exitCode = 2;
    return;
  }
  const simulate = options.simulate === true || config.global.simulate;
  const logger = createLogger({
    name: 'numeter-poller',
    level: pinoLevel(config.global.log_level),
    file: config.global.log_path || undefined,
  });
  try {
    await run(config, { once: options.once === true, simulate }, logger);
  } catch (error) {
    logger.fatal({ reason: (error as Error).message }, 'poller stopped');
    process.exitCode = 1;
  }
}

async function run(config: PollerConfig, mode: { once: boolean; simulate: boolean }, logger: Logger): Promise<void> {
  const g = config.global;
  const now = () => Date.now() / 1000;
  warnDeprecated(config, logger);
  await mkdir(g.state_dir, { recursive: true });
  const { hostId, source } = await resolveHostId({ configured: config.myinfo.host_id, stateDir: g.state_dir, now });
  if (source === 'generated')
    logger.warn({ hostId, file: join(g.state_dir, 'host_id') }, 'no [MyInfo] host_id configured: generated one and stored it');
  const pipeline = mode.simulate ? simulatePipeline(g.simulate_file) : createSpoolPipeline(config, hostId, logger);
  const publish = (messages: Message[]) => pipeline.sink.publish(messages);
  const modules = await createModules(config, { hostId, stateDir: g.state_dir, logger, now, publish });
  const rates = new RateStateFile({ file: join(g.state_dir, 'rates.json'), logger });
  await rates.load();
  await pipeline.start();
  await startListeners(modules, pipeline, g.stop_deadline * 1000, logger);
  const cycle = new PollCycle({
    self: { hostId, name: config.myinfo.name, description: config.myinfo.description },
    modules,
    sink: pipeline.sink,
    rates,
    refreshSeconds: g.plugins_refresh_time,
    heartbeatSeconds: rateHeartbeatOf(config),
    moduleTimeoutSeconds: moduleTimeoutOf(config),
    maxPointsPerMessage: g.max_points_per_message,
    logger,
    now,
    ...(pipeline.spoolFigures && { spoolFigures: pipeline.spoolFigures }),
  });
  logger.info(
    {
      hostId,
      modules: modules.map((m) => m.name),
      pollerTime: g.poller_time,
      mode: mode.once ? 'once' : 'daemon',
      simulate: mode.simulate,
    },
    'poller starting',
  );
  if (mode.once) {
    const result = await cycle.run();
    const drained = await pipeline.drain(g.stop_deadline * 1000);
    if (!drained)
      logger.warn(
        { deadlineSeconds: g.stop_deadline },
        'not everything reached the broker before the deadline; it stays in the spool for the next run',
      );
    await shutdown(modules, pipeline, g.stop_deadline * 1000, logger);
    if (result.moduleErrors > 0 && result.collected === 0) process.exitCode = 1;
    return;
  }
  const scheduler = new Scheduler({
    intervalMs: g.poller_time * 1000,
    jitterMs: g.jitter * 1000,
    logger,
    run: async () => void (await cycle.run()),
  });
  scheduler.start();
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'stopping: no new polls, finishing the running one');
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  await scheduler.stop();
  await shutdown(modules, pipeline, g.stop_deadline * 1000, logger);
  logger.info({ ...cycle.totals, ...scheduler.stats(), ...pipeline.stats() }, 'poller stopped');
}

/** Modules that listen (carbon, statsd) start once the spool is open; if one cannot, the others stop and so does the poller. */
async function startListeners(modules: PollerModule[], pipeline: Pipeline, deadlineMs: number, logger: Logger): Promise<void> {
  try {
    for (const module of modules) await module.start?.();
  } catch (error) {
    await shutdown(modules, pipeline, deadlineMs, logger);
    throw error;
  }
}

async function shutdown(modules: PollerModule[], pipeline: Pipeline, deadlineMs: number, logger: Logger): Promise<void> {
  for (const module of modules) {
    await module
      .stop?.()
      .catch((error: Error) => logger.warn({ module: module.name, reason: error.message }, 'module did not stop cleanly'));
  }
  await pipeline.stop(deadlineMs);
}

function simulatePipeline(file: string): Pipeline {
  const out = file ? createWriteStream(file, { flags: 'a' }) : process.stdout;
  return {
    sink: new JsonLinesSink(out),
    start: async () => {},
    drain: async () => true,
    stop: async () => {
      if (out !== process.stdout) await new Promise<void>((resolve) => out.end(resolve));
    },
    stats: () => ({}),
  };
}

function warnDeprecated(config: PollerConfig, logger: Logger): void {
  for (const key of ['log_level_stdr', 'poller_time_file'] as const) {
    if (config.global[key]) logger.warn({ key: `[global] ${key}` }, 'option of the original poller is ignored (see docs/poller.md)');
  }
}

/** The original's Python level names. */
function pinoLevel(level: string): string {
  return ({ warning: 'warn', critical: 'fatal' } as Record<string, string>)[level] ?? level;
}
