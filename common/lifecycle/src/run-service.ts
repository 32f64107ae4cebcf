import type { Logger } from '../../logging/index.js';
import { type Clock, systemClock } from './clock.js';
import type { Component } from './component.js';
import { ComponentGroup } from './component-group.js';
import { Deadline } from './deadline.js';

import { EXIT_FAILURE, EXIT_OK } from './exit-codes.js';

/** Where signals come from and how the process ends: `process` unless a test injects its own. */
export interface ServiceProcess {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): void;
}

export interface RunServiceOptions {
  /** The service's name, in its log lines. */
  name: string;
  logger: Logger;
  /** How long stopping may take in all, from the signal: keep it below systemd's TimeoutStopSec. */
  stopDeadlineMs: number;
  /**
   * Work the service does on its own once started (`--once`: one poll and its delivery);
   * when it resolves the service stops as after a signal. Its result is the exit code
   * (0 when it resolves to nothing). Without it the service runs until a signal.
   */
  run?: () => Promise<number | undefined>;
  /**
   * After an orderly stop the process should end by itself. If something still holds the
   * event loop this long after, it exits anyway with the service's code. Off unless given
   * (tests run services in their own process and must not be exited).
   */
  exitWatchdogMs?: number;
  /** Fields of the `<name> stopped` log line; the components' stats (prefixed by their names) unless given. */
  summary?: () => Record<string, unknown>;
  process?: ServiceProcess;
  clock?: Clock;
}

const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/** The exitWatchdogMs every service's main.ts sets: what may still hold the process after an orderly stop gets this long. */
export const EXIT_WATCHDOG_MS = 2000;

/**
 * Runs the components as one service: starts them in order, runs until SIGTERM/SIGINT
 * (or until `run` finishes), then stops them in reverse under one deadline. A second
 * signal exits at once. Resolves to the exit code: 0, or 1 when the start failed (what
 * had started is stopped again), `run` failed, or a component was still stopping at the
 * deadline (the process then exits, since that component may still hold it).
 */
export async function runService(components: readonly Component[], options: RunServiceOptions): Promise<number> {
  const { logger } = options;
  const proc = options.process ?? process;
  const clock = options.clock ?? systemClock;
  const group = new ComponentGroup(options.name, components, { logger, clock, defaultStopMs: options.stopDeadlineMs });
  const stopSignal = onFirstSignal(proc, logger);
  try {
    let code = await startAndRun(group, options, stopSignal.received);
    const deadline = Deadline.after(options.stopDeadlineMs, clock);
    logger.info({ deadlineMs: options.stopDeadlineMs }, 'stopping: inputs first');
    // The group bounds each part's stop, so this resolves shortly after the deadline.
    await group.stop(deadline);
    if (group.abandoned.length > 0) {
      logger.error({ components: group.abandoned, deadlineMs: options.stopDeadlineMs }, 'not stopped by the deadline; exiting');
      proc.exit(EXIT_FAILURE);
      code = EXIT_FAILURE;
    } else logger.info(options.summary?.() ?? group.stats(), `${options.name} stopped`);
    if (options.exitWatchdogMs !== undefined) armExitWatchdog(proc, code, options.exitWatchdogMs, logger);
    return code;
  } finally {
    stopSignal.remove();
  }
}

async function startAndRun(group: ComponentGroup, options: RunServiceOptions, signal: Promise<void>): Promise<number> {
  try {
    await group.start();
  } catch (error) {
    options.logger.fatal({ reason: (error as Error).message }, `${options.name} failed to start`);
    return EXIT_FAILURE;
  }
  if (!options.run) {
    await signal;
    return EXIT_OK;
  }
  const work = options.run().then(
    (code) => code ?? EXIT_OK,
    (error: Error) => {
      options.logger.fatal({ reason: error.message }, `${options.name} failed`);
      return EXIT_FAILURE;
    },
  );
  return Promise.race([work, signal.then(() => EXIT_OK)]);
}

/** The first SIGTERM/SIGINT resolves `received`; a second one exits at once. */
function onFirstSignal(proc: ServiceProcess, logger: Logger): { received: Promise<void>; remove: () => void } {
  let count = 0;
  let resolve!: () => void;
  const received = new Promise<void>((r) => (resolve = r));
  const listener = (signal: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      logger.info({ signal }, 'signal received: stopping');
      resolve();
      return;
    }
    logger.warn({ signal }, 'second signal: exiting now');
    proc.exit(EXIT_FAILURE);
  };
  for (const signal of SIGNALS) proc.on(signal, listener);
  const remove = () => {
    for (const signal of SIGNALS) proc.off(signal, listener);
  };
  return { received, remove };
}

function armExitWatchdog(proc: ServiceProcess, code: number, ms: number, logger: Logger): void {
  const timer = setTimeout(() => {
    logger.warn({ ms }, 'something still holds the process after the stop; exiting');
    proc.exit(code);
  }, ms);
  timer.unref();
}
