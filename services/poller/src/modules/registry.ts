import type { Logger } from '../../../../common/logging/index.js';
import type { Message } from '../../../../common/schemas/index.js';
import { nodeTimeoutOf, type PollerConfig } from '../config/schema.js';
import { createCarbonModule } from './carbon/module.js';
import { loadCustomModule } from './custom/load.js';
import { createLibvirtModule } from './libvirt/module.js';
import { createMuninModule } from './munin/factory.js';
import { createNetLatencyModule } from './netlatency/module.js';
import { createSnmpModule } from './snmp/module.js';
import { createStatsdModule } from './statsd/module.js';
import { SystemModule } from './system/module.js';
import type { ModuleContext, PollerModule } from './types.js';

/** Builds the modules listed in `[global] modules`, in order. */
export async function createModules(
  config: PollerConfig,
  base: {
    hostId: string;
    stateDir: string;
    logger: Logger;
    nowSeconds: () => number;
    /** The pipeline's sink, for the listener modules (carbon, statsd). */
    publish?: (messages: Message[]) => Promise<void>;
  },
): Promise<PollerModule[]> {
  const modules: PollerModule[] = [];
  const ini = { ...config.raw };
  for (const spec of config.moduleSpecs) {
    const logger = base.logger.child({ module: spec.kind === 'custom' ? spec.specifier : spec.kind });
    const context = (section: Record<string, string>): ModuleContext => ({
      config: section,
      ini,
      hostId: base.hostId,
      stateDir: base.stateDir,
      logger,
      nowSeconds: base.nowSeconds,
      ...(base.publish && { publish: base.publish }),
    });
    const g = config.global;
    if (spec.kind === 'munin') modules.push(createMuninModule(context({}), config.muninmodule, nodeTimeoutOf(config)));
    else if (spec.kind === 'system') modules.push(new SystemModule({ root: config.systemmodule.root }));
    else if (spec.kind === 'libvirt') modules.push(createLibvirtModule(context(config.raw.libvirtmodule ?? {})));
    else if (spec.kind === 'snmp') modules.push(createSnmpModule(context(config.raw.snmpmodule ?? {})));
    else if (spec.kind === 'carbon')
      modules.push(createCarbonModule(context({}), config.carbonmodule, g.plugins_refresh_time, g.max_points_per_message));
    else if (spec.kind === 'statsd')
      modules.push(createStatsdModule(context({}), config.statsdmodule, g.plugins_refresh_time, g.max_points_per_message));
    else if (spec.kind === 'netlatency') modules.push(createNetLatencyModule(context(config.raw.netlatencymodule ?? {})));
    else modules.push(await loadCustomModule(spec.specifier, spec.exportName, context(config.raw[spec.section] ?? {})));
  }
  return modules;
}
