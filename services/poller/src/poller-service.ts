import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Clock, type Component, Deadline, EXIT_FAILURE, systemClock } from '../../../common/lifecycle/index.js';
import type { Logger } from '../../../common/logging/index.js';
import type { Message } from '../../../common/schemas/index.js';
import { resolveHostId } from './config/host-id.js';
import { moduleTimeoutOf, type PollerConfig, rateHeartbeatOf } from './config/schema.js';
import type { Delivery } from './delivery/delivery.js';
import { createSimulateDelivery } from './delivery/simulate-delivery.js';
import { createSpoolDelivery } from './delivery/spool-delivery.js';
import { ModuleSet } from './modules/module-set.js';
import { createModules } from './modules/registry.js';
import { PollCycle } from './polling/poll-cycle.js';
import { RateStateFile } from './rates/state-file.js';
import { Scheduler } from './scheduling/scheduler.js';

export interface PollerMode {
  /** One poll with host and plugin info, its delivery within `stop_deadline`, then exit. */
  once: boolean;
  /** JSON lines instead of the spool and the broker. */
  simulate: boolean;
}

/** What `runService` runs: the components in start order, the `--once` work, the final log line. */
export interface PollerService {
  components: Component[];
  run?: () => Promise<number | undefined>;
  summary: () => Record<string, number>;
}

/**
 * Builds the poller from its configuration: host ID, modules, rate state, delivery, poll
 * cycle and (daemon) scheduler. Started delivery → modules → scheduler; stopped the other
 * way round: no new poll, the running one finishes (or is left at the deadline), the
 * modules close their connections, then the forwarder, the broker connection and the spool.
 */
export async function buildPoller(
  config: PollerConfig,
  mode: PollerMode,
  logger: Logger,
  clock: Clock = systemClock,
): Promise<PollerService> {
  const g = config.global;
  const nowSeconds = () => clock.nowSeconds();
  warnDeprecated(config, logger);
  await mkdir(g.state_dir, { recursive: true });
  const { hostId, source } = await resolveHostId({ configured: config.myinfo.host_id, stateDir: g.state_dir, nowSeconds });
  if (source === 'generated')
    logger.warn({ hostId, file: join(g.state_dir, 'host_id') }, 'no [MyInfo] host_id configured: generated one and stored it');
  const delivery: Delivery = mode.simulate ? createSimulateDelivery(g.simulate_file) : createSpoolDelivery(config, hostId, logger, clock);
  // Listener modules (carbon, statsd) hand what they receive to the delivery themselves.
  const publish = (messages: Message[]) => delivery.sink.publish(messages);
  const modules = new ModuleSet(await createModules(config, { hostId, stateDir: g.state_dir, logger, nowSeconds, publish }), logger);
  const rates = new RateStateFile({ file: join(g.state_dir, 'rates.json'), logger });
  await rates.load();
  const cycle = new PollCycle({
    self: { hostId, name: config.myinfo.name, description: config.myinfo.description },
    modules: [...modules.modules],
    sink: delivery.sink,
    rates,
    refreshSeconds: g.plugins_refresh_time,
    heartbeatSeconds: rateHeartbeatOf(config),
    moduleTimeoutSeconds: moduleTimeoutOf(config),
    maxPointsPerMessage: g.max_points_per_message,
    logger,
    nowSeconds,
    ...(delivery.spoolFigures && { spoolFigures: delivery.spoolFigures }),
  });
  logger.info(
    {
      hostId,
      modules: modules.modules.map((m) => m.name),
      pollerTime: g.poller_time,
      mode: mode.once ? 'once' : 'daemon',
      simulate: mode.simulate,
    },
    'poller starting',
  );
  const components: Component[] = [...delivery.components, modules];
  if (mode.once) {
    return {
      components,
      run: () => pollOnceAndDeliver(cycle, delivery, g.stop_deadline * 1000, logger, clock),
      summary: () => ({ ...cycle.stats(), ...delivery.stats() }),
    };
  }
  const scheduler = new Scheduler({
    intervalMs: g.poller_time * 1000,
    jitterMs: g.jitter * 1000,
    logger,
    clock,
    run: async () => void (await cycle.run()),
  });
  return {
    components: [...components, scheduler],
    summary: () => ({ ...cycle.stats(), ...scheduler.stats(), ...delivery.stats() }),
  };
}

/** `--once`: exit code 1 when the modules collected nothing and reported errors. */
async function pollOnceAndDeliver(cycle: PollCycle, delivery: Delivery, deadlineMs: number, logger: Logger, clock: Clock): Promise<number> {
  const result = await cycle.run();
  if (!(await delivery.drain(Deadline.after(deadlineMs, clock))))
    logger.warn(
      { deadlineSeconds: deadlineMs / 1000 },
      'not everything reached the broker before the deadline; it stays in the spool for the next run',
    );
  return result.moduleErrors > 0 && result.collected === 0 ? EXIT_FAILURE : 0;
}

function warnDeprecated(config: PollerConfig, logger: Logger): void {
  for (const key of ['log_level_stdr', 'poller_time_file'] as const) {
    if (config.global[key]) logger.warn({ key: `[global] ${key}` }, 'option of the original poller is ignored (see docs/poller.md)');
  }
}
