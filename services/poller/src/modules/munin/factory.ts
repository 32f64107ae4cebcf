import type { ModuleContext, PollerModule } from '../types.js';
import { MuninCentralModule } from './central.js';
import { type HangupSource, MuninConfReloader, processHangup } from './conf-reload.js';
import { MuninModule } from './module.js';
import { centralNodes } from './node-list.js';

/** `[MuninModule]` keys: see docs/poller.md. */
export interface MuninSettings {
  munin_host: string;
  munin_port: number;
  plugins_enable: RegExp;
  connect_timeout: number;
  read_timeout: number;
  max_line_length: number;
  max_lines: number;
  munin_conf: string;
  nodes: string;
  host_id_format: string;
  local_node: boolean;
  max_parallel: number;
}

const MAX_RECONNECTS = 3;

/**
 * The local munin-node alone, or, when `munin_conf` or `nodes` name others, central
 * polling of all of them (plus the local node unless `local_node = false`). Problems in
 * munin.conf are logged with file and line; the hosts they concern are left out, the
 * others polled. munin.conf is re-read when it changes or on SIGHUP (conf-reload.ts).
 */
export function createMuninModule(
  context: ModuleContext,
  settings: MuninSettings,
  nodeTimeoutSeconds: number,
  hangups: HangupSource = processHangup,
): PollerModule {
  const session = {
    connectTimeoutMs: settings.connect_timeout * 1000,
    readTimeoutMs: settings.read_timeout * 1000,
    maxLineLength: settings.max_line_length,
    maxLines: settings.max_lines,
  };
  const local = () =>
    new MuninModule({
      ...session,
      host: settings.munin_host,
      port: settings.munin_port,
      pluginsEnable: settings.plugins_enable,
      maxReconnects: MAX_RECONNECTS,
      logger: context.logger,
      nowSeconds: context.nowSeconds,
    });
  if (!settings.munin_conf && !settings.nodes) return local();
  const initial = centralNodes(settings);
  const { nodes, problems } = initial;
  for (const problem of problems) context.logger.warn({ reason: problem }, 'munin node list problem');
  context.logger.info({ nodes: nodes.length, problems: problems.length }, 'central munin polling');
  return new MuninCentralModule({
    nodes,
    ...(settings.munin_conf && { reload: new MuninConfReloader(settings, initial, context.logger, hangups) }),
    ...(settings.local_node && { local: local() }),
    session,
    pluginsEnable: settings.plugins_enable,
    maxReconnects: MAX_RECONNECTS,
    maxParallel: settings.max_parallel,
    nodeTimeoutMs: nodeTimeoutSeconds * 1000,
    logger: context.logger,
    nowSeconds: context.nowSeconds,
  });
}
