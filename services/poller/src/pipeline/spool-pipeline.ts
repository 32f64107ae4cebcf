import { setTimeout as sleep } from 'node:timers/promises';
import { BusPublisher } from '../../../../common/bus/index.js';
import type { Logger } from '../../../../common/logging/index.js';
import { amqpUrlOf, type PollerConfig, spoolDirOf } from '../config/schema.js';
import type { Pipeline } from '../core/pipeline.js';
import { SpoolSink } from '../core/sinks.js';
import { Forwarder } from '../forward/index.js';
import { Spool } from '../spool/index.js';

/**
 * Poll → spool (on disk, survives broker outages and restarts) → forwarder → broker.
 * Stop order: the forwarder (with the deadline), the broker connection, then the spool,
 * so nothing appended is lost and nothing unconfirmed is removed.
 */
export function createSpoolPipeline(config: PollerConfig, hostId: string, logger: Logger): Pipeline {
  const g = config.global;
  const spool = new Spool({
    dir: spoolDirOf(config),
    segmentBytes: g.spool_segment_bytes,
    maxBytes: g.spool_max_bytes,
    maxAgeSeconds: g.spool_max_age,
    fsync: g.spool_fsync,
    logger,
  });
  const publisher = new BusPublisher({
    url: amqpUrlOf(config),
    heartbeatSeconds: g.amqp_heartbeat,
    connectionName: `numeter-poller ${hostId}`,
    logger,
  });
  const forwarder = new Forwarder({ spool, publisher, window: g.forward_window, logger });
  let started = false;
  return {
    sink: new SpoolSink(spool),
    spoolFigures: () => spool.stats(),
    async start() {
      if (started) return;
      started = true;
      await spool.start();
      await publisher.start();
      forwarder.start();
    },
    async drain(deadlineMs) {
      const until = Date.now() + deadlineMs;
      while (spool.stats().records > 0) {
        if (Date.now() >= until) return false;
        await sleep(20);
      }
      return true;
    },
    async stop(deadlineMs) {
      if (!started) return;
      started = false;
      const until = Date.now() + deadlineMs;
      await forwarder.stop(Math.max(0, until - Date.now()));
      await publisher.stop(Math.max(0, until - Date.now()));
      await spool.stop();
    },
    stats: () => ({
      ...prefixed('spool', spool.stats()),
      ...prefixed('forward', forwarder.stats()),
      ...prefixed('bus', publisher.stats()),
    }),
  };
}

function prefixed(prefix: string, stats: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(stats).map(([key, value]) => [`${prefix}_${key}`, value]));
}
