import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { DEFAULT_HEARTBEAT_SECONDS } from '../../../../common/bus/src/defaults.js';
import {
  ConfigError,
  formatConfig,
  iniBool,
  iniEnum,
  iniInt,
  iniString,
  knownKeysOf,
  loadConfig,
} from '../../../../common/config/index.js';
import { nameProblem } from '../../../../common/schemas/index.js';
import { DEFAULT_FORWARD_WINDOW } from '../forward/forwarder.js';
import { carbonSection } from '../modules/carbon/settings.js';
import { nodeListProblems } from '../modules/munin/node-list.js';
import { statsdSection } from '../modules/statsd/settings.js';
import { SPOOL_DEFAULTS } from '../spool/options.js';
import { anchoredRegex, fsyncPolicy } from './fields.js';
import { parseModuleList } from './module-list.js';

/**
 * The poller's configuration: the original numeter_poller.cfg shape plus new keys.
 * Defaults live here only; docs/poller.md lists them. Every key can be overridden by
 * NUMETER_POLLER_<SECTION>_<KEY> (e.g. NUMETER_POLLER_GLOBAL_POLLER_TIME).
 */
export const ENV_PREFIX = 'NUMETER_POLLER';
export const DEFAULT_CONFIG_FILE = '/etc/numeter/numeter_poller.cfg';
export const SECRET_KEYS = ['rpc_password', 'amqp_url', 'community', 'auth_key', 'priv_key'] as const;

/** The poller takes the default for every empty value, text included (as the original). */
const text = (defaultValue: string | (() => string)) => iniString(defaultValue, { emptyMeansDefault: true });

const globalSection = z.object({
  enable: iniBool(true),
  poller_time: iniInt(60, 1, 86400),
  plugins_refresh_time: iniInt(300, 1, 7 * 86400),
  jitter: iniInt(5, 0, 86400),
  modules: text('munin|system'),
  rpc_hosts: text('127.0.0.1:5672'),
  rpc_password: text('guest'),
  amqp_user: text('guest'),
  amqp_vhost: text('/'),
  amqp_url: text(''),
  amqp_heartbeat: iniInt(DEFAULT_HEARTBEAT_SECONDS, 0, 3600),
  log_level: iniEnum('info', ['debug', 'info', 'warning', 'warn', 'error', 'critical', 'fatal'] as const),
  log_level_stdr: text(''),
  log_path: text(''),
  state_dir: text('/var/lib/numeter-poller'),
  spool_dir: text(''),
  spool_max_bytes: iniInt(SPOOL_DEFAULTS.maxBytes, 1024 * 1024),
  spool_max_age: iniInt(SPOOL_DEFAULTS.maxAgeSeconds, 60),
  spool_segment_bytes: iniInt(SPOOL_DEFAULTS.segmentBytes, 64 * 1024),
  spool_fsync: fsyncPolicy(SPOOL_DEFAULTS.fsyncMs),
  forward_window: iniInt(DEFAULT_FORWARD_WINDOW, 1, 10000),
  stop_deadline: iniInt(10, 1, 600),
  rate_heartbeat: iniInt(0, 0, 30 * 86400),
  module_timeout: iniInt(0, 0, 86400),
  max_points_per_message: iniInt(500, 1, 2000),
  simulate: iniBool(false),
  simulate_file: text(''),
  poller_time_file: text(''),
});

const myInfoSection = z.object({
  name: text(() => hostname()),
  description: text(''),
  host_id: text(''),
});

const muninSection = z.object({
  munin_host: text('127.0.0.1'),
  munin_port: iniInt(4949, 1, 65535),
  plugins_enable: anchoredRegex('.*'),
  connect_timeout: iniInt(5, 1, 600),
  read_timeout: iniInt(70, 1, 3600),
  max_line_length: iniInt(65536, 256, 16 * 1024 * 1024),
  max_lines: iniInt(20000, 10, 10_000_000),
  munin_conf: text(''),
  nodes: text(''),
  host_id_format: text('{name}'),
  local_node: iniBool(true),
  max_parallel: iniInt(64, 1, 4096),
  node_timeout: iniInt(0, 0, 86400),
});

const systemSection = z.object({ root: text('/') });

const sections = z
  .object({
    global: globalSection.default({}),
    myinfo: myInfoSection.default({}),
    muninmodule: muninSection.default({}),
    systemmodule: systemSection.default({}),
    carbonmodule: carbonSection.default({}),
    statsdmodule: statsdSection.default({}),
  })
  .passthrough();

/** The sections and keys the poller knows (other sections are kept raw for modules). */
export const KNOWN_KEYS: Record<string, readonly string[]> = knownKeysOf(sections);

const schema = sections.superRefine((config, ctx) => {
  const problem = (section: string, key: string, message: string) =>
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: [section, key], message });
  const g = config.global;
  if (g.jitter >= g.poller_time) problem('global', 'jitter', `must be less than poller_time (${g.poller_time}), got ${g.jitter}`);
  if (g.rate_heartbeat !== 0 && g.rate_heartbeat < g.poller_time)
    problem('global', 'rate_heartbeat', `must be 0 (automatic) or at least poller_time (${g.poller_time}), got ${g.rate_heartbeat}`);
  for (const host of g.rpc_hosts.split(',').map((h) => h.trim())) {
    if (!/^[^\s:]+(:\d{1,5})?$/.test(host))
      problem('global', 'rpc_hosts', `each entry must be host or host:port, got ${JSON.stringify(host)}`);
  }
  if (g.amqp_url && !/^amqps?:\/\/[^\s]+$/.test(g.amqp_url)) problem('global', 'amqp_url', 'must start with amqp:// or amqps://');
  const modules = parseModuleList(g.modules);
  for (const error of modules.errors) problem('global', 'modules', error);
  const idProblem = config.myinfo.host_id ? nameProblem(config.myinfo.host_id) : null;
  if (idProblem) problem('myinfo', 'host_id', `host ID ${idProblem}`);
  if (config.myinfo.name.length > 256) problem('myinfo', 'name', 'is longer than 256 characters');
  const munin = config.muninmodule;
  for (const error of nodeListProblems(munin.nodes)) problem('muninmodule', 'nodes', error);
  if (!munin.host_id_format.includes('{name}'))
    problem(
      'muninmodule',
      'host_id_format',
      `must contain {name} (host IDs must differ per node), got ${JSON.stringify(munin.host_id_format)}`,
    );
});

export type PollerConfig = z.output<typeof schema> & {
  moduleSpecs: ReturnType<typeof parseModuleList>['specs'];
  raw: Record<string, Record<string, string>>;
};

export function loadPollerConfig(options: { file?: string; fileRequired?: boolean; env?: NodeJS.ProcessEnv }): PollerConfig {
  const parsed = loadConfig({
    schema,
    file: options.file ?? DEFAULT_CONFIG_FILE,
    fileRequired: options.fileRequired ?? false,
    envPrefix: ENV_PREFIX,
    env: options.env,
    knownKeys: KNOWN_KEYS,
  });
  const raw: Record<string, Record<string, string>> = {};
  for (const [section, values] of Object.entries(parsed)) {
    if (!(section in KNOWN_KEYS) && values && typeof values === 'object') raw[section] = values as Record<string, string>;
  }
  return { ...parsed, moduleSpecs: parseModuleList(parsed.global.modules).specs, raw };
}

/** Directories derived from state_dir unless set. */
export function spoolDirOf(config: PollerConfig): string {
  return config.global.spool_dir || join(config.global.state_dir, 'spool');
}

/** The automatic heartbeat: ten polls. */
export function rateHeartbeatOf(config: PollerConfig): number {
  return config.global.rate_heartbeat || 10 * config.global.poller_time;
}

/** The automatic module deadline: five polls. */
export function moduleTimeoutOf(config: PollerConfig): number {
  return config.global.module_timeout || 5 * config.global.poller_time;
}

/** The automatic per-node deadline of central munin polling: four fifths of a poll. */
export function nodeTimeoutOf(config: Pick<PollerConfig, 'global' | 'muninmodule'>): number {
  return config.muninmodule.node_timeout || Math.max(1, Math.floor((config.global.poller_time * 4) / 5));
}

/** The AMQP URL: amqp_url, else built from the first rpc_hosts entry, user, password and vhost. */
export function amqpUrlOf(config: PollerConfig): string {
  const g = config.global;
  if (g.amqp_url) return g.amqp_url;
  const [host, port = '5672'] = g.rpc_hosts.split(',')[0].trim().split(':');
  return `amqp://${encodeURIComponent(g.amqp_user)}:${encodeURIComponent(g.rpc_password)}@${host}:${port}/${encodeURIComponent(g.amqp_vhost)}`;
}

/** `--print-config`: effective values, secrets masked, host_id as it will be used. */
export function printableConfig(config: PollerConfig): string {
  const sections: Record<string, Record<string, unknown>> = {
    global: {
      ...config.global,
      spool_dir: spoolDirOf(config),
      rate_heartbeat: rateHeartbeatOf(config),
      module_timeout: moduleTimeoutOf(config),
    },
    MyInfo: { ...config.myinfo },
    MuninModule: {
      ...config.muninmodule,
      node_timeout: nodeTimeoutOf(config),
      plugins_enable: config.muninmodule.plugins_enable.source.replace(/^\^\(\?:(.*)\)$/, '$1'),
    },
    SystemModule: { ...config.systemmodule },
    CarbonModule: { ...config.carbonmodule },
    StatsdModule: { ...config.statsdmodule },
    ...config.raw,
  };
  return formatConfig(sections, SECRET_KEYS);
}

export { ConfigError };

/** pino's name for a level of the original's Python names (`warning`, `critical`). */
export function pinoLevel(level: string): string {
  return ({ warning: 'warn', critical: 'fatal' } as Record<string, string>)[level] ?? level;
}
