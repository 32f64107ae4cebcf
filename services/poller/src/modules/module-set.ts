import {
  type Component,
  type Deadline,
  type DeadlineInput,
  FORCE_CLOSE_MS,
  Lifecycle,
  type Stats,
  settleWithin,
} from '../../../../common/lifecycle/index.js';
import type { Logger } from '../../../../common/logging/index.js';
import type { PollerModule } from './types.js';

/**
 * The modules as one component. Start runs each module's own `start()` (listeners), in
 * order, and stops the ones already started if one fails. Stop closes every module's
 * connections at once, each given the poller's stop deadline: a module whose `stop()`
 * hangs past it is logged and left behind, the others still close.
 */
export class ModuleSet implements Component {
  readonly name = 'modules';
  private readonly lifecycle = new Lifecycle({ start: () => this.startModules(), stop: (deadline) => this.stopModules(deadline) });
  private started: PollerModule[] = [];

  constructor(
    readonly modules: readonly PollerModule[],
    private readonly logger: Logger,
  ) {}

  start(): Promise<void> {
    return this.lifecycle.start();
  }

  stop(deadline?: DeadlineInput): Promise<void> {
    return this.lifecycle.stop(deadline);
  }

  /** Every module's counters, prefixed by the module's name. */
  stats(): Stats {
    const out: Record<string, number> = {};
    for (const module of this.modules)
      for (const [key, value] of Object.entries(module.stats?.() ?? {})) out[`${module.name}_${key}`] = value;
    return out;
  }

  private async startModules(): Promise<void> {
    this.started = [];
    for (const module of this.modules) {
      await module.start?.();
      this.started.push(module);
    }
  }

  private async stopModules(deadline: Deadline): Promise<void> {
    const due = deadline.extendedTo(FORCE_CLOSE_MS);
    await Promise.all(
      this.started.map(async (module) => {
        const stopping = Promise.resolve()
          .then(() => module.stop?.(deadline))
          .catch((error: Error) => this.logger.warn({ module: module.name, reason: error.message }, 'module did not stop cleanly'));
        if (!(await settleWithin(stopping, due))) this.logger.warn({ module: module.name }, 'module did not stop by the deadline');
      }),
    );
    this.started = [];
  }
}
