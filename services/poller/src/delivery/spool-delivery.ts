import { BusPublisher } from '../../../../common/bus/index.js';
import {
  type Clock,
  type Component,
  type DeadlineInput,
  prefixedStats,
  systemClock,
  waitUntil,
} from '../../../../common/lifecycle/index.js';
import type { Logger } from '../../../../common/logging/index.js';
import { amqpUrlOf, type PollerConfig, spoolDirOf } from '../config/schema.js';
import { Forwarder } from '../forward/index.js';
import { Spool } from '../spool/index.js';
import type { Delivery } from './delivery.js';
import { SpoolSink } from './sinks.js';

/**
 * Poll → spool (on disk, survives broker outages and restarts) → forwarder → broker.
 * Started spool, broker connection, forwarder; stopped the other way round: the forwarder
 * within the deadline, the broker connection, then the spool, so nothing appended is lost
 * and nothing unconfirmed is removed. A broker connection that cannot start stops the
 * spool again (and releases its lock).
 */
export function createSpoolDelivery(config: PollerConfig, hostId: string, logger: Logger, clock: Clock = systemClock): Delivery {
  const g = config.global;
  const spool = new Spool({
    dir: spoolDirOf(config),
    segmentBytes: g.spool_segment_bytes,
    maxBytes: g.spool_max_bytes,
    maxAgeSeconds: g.spool_max_age,
    fsync: g.spool_fsync,
    logger,
    clock,
  });
  const publisher = new BusPublisher({
    name: 'bus',
    url: amqpUrlOf(config),
    heartbeatSeconds: g.amqp_heartbeat,
    connectionName: `numeter-poller ${hostId}`,
    logger,
    clock,
  });
  const forwarder = new Forwarder({ spool, publisher, window: g.forward_window, logger, clock });
  const components: Component[] = [spool, publisher, forwarder];
  return {
    components,
    sink: new SpoolSink(spool),
    spoolFigures: () => spool.stats(),
    drain: (deadline: DeadlineInput) => waitUntil(() => spool.stats().records === 0, deadline),
    stats: () => Object.assign({}, ...components.map((part) => prefixedStats(part.name, part.stats()))),
  };
}
