import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';
import { DEFAULT_HEARTBEAT_SECONDS } from '../../../common/bus/src/defaults.js';
import { ALL_HOSTS_BINDING } from '../../../common/bus/src/topology.js';
import {
  ConfigError,
  formatConfig,
  iniBool,
  iniEnum,
  iniInt,
  iniList,
  iniNumber,
  iniString,
  knownKeysOf,
  loadConfig,
} from '../../../common/config/index.js';
import { isSafeName } from '../../../common/schemas/index.js';

/**
 * The storage's configuration: the original `numeter_storage.cfg` (`[global]`, same keys
 * and meaning) plus new sections. Defaults live here and only here; every key can be
 * overridden by `NUMETER_STORAGE_<SECTION>_<KEY>`. `--print-config` prints the result.
 */
export const ENV_PREFIX = 'NUMETER_STORAGE';
export const DEFAULT_CONFIG_FILE = '/etc/numeter/numeter_storage.cfg';
export const SECRET_KEYS = [
  'rpc_password',
  'redis_storage_password',
  'redis_sentinel_password',
  'password',
  'auth_tokens',
  'basic_auth_users',
  'client_tokens',
] as const;

// The storage refuses an empty number or boolean (and keeps an empty text) rather than
// taking the default: docs/configuration.md states it.
const STRICT = { emptyMeansDefault: false } as const;

export const StorageConfigSchema = z.object({
  global: z
    .object({
      enable: iniBool(true, STRICT),
      storage_name: iniString(hostname()).refine(isSafeName, 'storage_name must be a safe name (no "/", control characters...)'),
      log_level: iniEnum('info', ['trace', 'debug', 'info', 'warning', 'warn', 'error', 'critical', 'fatal'], STRICT),
      log_path: iniString(''),
      rpc_hosts: iniList('127.0.0.1:5672'),
      rpc_password: iniString('guest'),
      redis_storage_host: iniString('127.0.0.1'),
      redis_storage_port: iniInt(6379, 1, 65535, STRICT),
      redis_storage_timeout: iniNumber(10, 0.1, 3600, STRICT),
      redis_storage_password: iniString(''),
      redis_storage_db: iniInt(0, 0, 1000, STRICT),
      /** New: comma list of Sentinel `host:port`; empty = connect to redis_storage_host/port directly. */
      redis_sentinels: iniList('').superRefine((items, ctx) => {
        for (const item of items) {
          if (!parseSentinelAddress(item))
            ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${JSON.stringify(item)} is not host:port (port 1-65535)` });
        }
      }),
      /** New: the master group name the sentinels monitor. */
      redis_sentinel_name: iniString('mymaster', { emptyMeansDefault: true }),
      /** New: password of the sentinels themselves (empty = none); the master's is redis_storage_password. */
      redis_sentinel_password: iniString(''),
      /** New: prefix of every Redis key (empty in production, as the original). */
      redis_key_prefix: iniString(''),
      /** New: seconds between checks that the Redis index was not lost (then it is rebuilt from the files). */
      index_check_seconds: iniInt(10, 1, 86_400, STRICT),
      host_list_file: iniString('/etc/numeter/host-list'),
      wsp_path: iniString('/var/lib/numeter/wsps'),
      wsp_path_md5_char: iniInt(2, 1, 32, STRICT),
      // Read by the original but unused here (its cleaners were never called; logs go to one
      // place): accepted so an original file loads unchanged, and ignored. See [cleaning].
      log_level_stdr: iniString(''),
      wsp_clean_time: iniString(''),
      wsp_delete: iniString(''),
    })
    .default({}),
  amqp: z
    .object({
      /** Full URL; when empty it is built from [global] rpc_hosts (first), user, rpc_password and vhost. */
      url: iniString(''),
      user: iniString('guest'),
      vhost: iniString('/'),
      queue_type: iniEnum('classic', ['classic', 'quorum'], STRICT),
      prefetch: iniInt(500, 1, 65535, STRICT),
      heartbeat: iniInt(DEFAULT_HEARTBEAT_SECONDS, 0, 3600, STRICT),
      /** A message whose handling failed (not a refusal, not Redis or the disk) this many times is dead-lettered. */
      max_requeues: iniInt(20, 1, 1_000_000, STRICT),
    })
    .default({}),
  legacy: z
    .object({
      /** Consume the original Numeter's oslo.messaging envelopes too. */
      enabled: iniBool(false, STRICT),
      url: iniString(''),
      vhost: iniString('/'),
      exchange: iniString('numeter'),
      exchange_durable: iniBool(false, STRICT),
    })
    .default({}),
  cache: z
    .object({
      /** Points held in memory at most; when reached, no more messages are taken (backpressure). */
      max_points: iniInt(200_000, 1, 100_000_000, STRICT),
      /** Flush when this many points are pending... */
      flush_points: iniInt(50_000, 1, 100_000_000, STRICT),
      /** ...or when the oldest pending point has waited this long. */
      flush_interval_ms: iniInt(200, 1, 600_000, STRICT),
      max_open_files: iniInt(2048, 1, 1_000_000, STRICT),
    })
    .default({}),
  whisper: z
    .object({
      /** carbon storage-schemas.conf style file; empty = the original archives for every series. */
      schemas_file: iniString(''),
      /** carbon storage-aggregation.conf style file; empty = average, xFilesFactor 0.5. */
      aggregation_file: iniString(''),
      /** Create files sparse (ftruncate) instead of writing zeros. */
      sparse: iniBool(true, STRICT),
      /** Points up to this far in the future are accepted (poller clock skew). */
      max_future_seconds: iniInt(600, 0, 86_400, STRICT),
    })
    .default({}),
  limits: z
    .object({
      /** New series (files) one host may start per interval; 0 = unlimited. */
      max_new_series_per_host: iniInt(2000, 0, 100_000_000, STRICT),
      /** New series one plugin of a host may start per interval; 0 = unlimited. */
      max_new_series_per_plugin: iniInt(1000, 0, 100_000_000, STRICT),
      new_series_interval_seconds: iniInt(3600, 1, 30 * 86_400, STRICT),
    })
    .default({}),
  cleaning: z
    .object({
      enabled: iniBool(false, STRICT),
      interval_seconds: iniInt(3600, 1, 7 * 86_400, STRICT),
      /** Hosts and plugins not seen for this long are marked deleted. */
      mark_after_days: iniNumber(2, 0.0001, 3650, STRICT),
      /** Remove their files (and index entries) this long after they were marked. */
      remove_files: iniBool(false, STRICT),
      grace_days: iniNumber(30, 0, 3650, STRICT),
    })
    .default({}),
  api: z
    .object({
      enabled: iniBool(true, STRICT),
      listen: iniString('127.0.0.1'),
      port: iniInt(8080, 0, 65535, STRICT),
      prefix: iniString('/numeter-storage'),
      auth_tokens: iniList(''),
      /** Comma list of user:password. */
      basic_auth_users: iniList(''),
      /** Comma list of name:requests_per_minute:token (0 = unlimited), e.g. the webapp's own token. */
      client_tokens: iniList(''),
      /** Per credential (or per client address without credentials): 30 panels every 10 s are 180 a minute per open dashboard. */
      rate_limit_per_minute: iniInt(1800, 0, 1_000_000, STRICT),
      /** express `trust proxy`: false, true, a hop count or the proxy's addresses (client addresses from X-Forwarded-For). */
      trust_proxy: iniString('false'),
      max_points: iniInt(200_000, 1, 100_000_000, STRICT),
      /** Stored values one request may read (all series, before consolidation and functions). */
      max_read_points: iniInt(2_000_000, 1, 1_000_000_000, STRICT),
      /** Stored values all requests in flight may hold together (memory bound); at least max_read_points. */
      max_read_points_in_flight: iniInt(8_000_000, 1, 1_000_000_000, STRICT),
      max_find_results: iniInt(10_000, 1, 10_000_000, STRICT),
    })
    .default({}),
});
export type StorageConfig = z.output<typeof StorageConfigSchema>;

export const KNOWN_KEYS: Record<string, readonly string[]> = knownKeysOf(StorageConfigSchema);

export function loadStorageConfig(options: { file?: string; fileRequired?: boolean; env?: NodeJS.ProcessEnv } = {}): StorageConfig {
  return loadConfig({
    schema: StorageConfigSchema,
    file: options.file ?? DEFAULT_CONFIG_FILE,
    fileRequired: options.fileRequired ?? false,
    envPrefix: ENV_PREFIX,
    env: options.env,
    knownKeys: KNOWN_KEYS,
  });
}

export function printableConfig(config: StorageConfig): string {
  return formatConfig(config as unknown as Record<string, Record<string, unknown>>, SECRET_KEYS);
}

/** The AMQP URL of the main bus: [amqp] url, else built the original way from rpc_hosts. */
export function amqpUrl(config: StorageConfig): string {
  if (config.amqp.url) return config.amqp.url;
  return buildUrl(config.global.rpc_hosts[0] ?? '127.0.0.1:5672', config.amqp.user, config.global.rpc_password, config.amqp.vhost);
}

/** The legacy (original Numeter) broker: [legacy] url, else the main broker's host with the legacy vhost. */
export function legacyAmqpUrl(config: StorageConfig): string {
  if (config.legacy.url) return config.legacy.url;
  return buildUrl(config.global.rpc_hosts[0] ?? '127.0.0.1:5672', config.amqp.user, config.global.rpc_password, config.legacy.vhost);
}

function buildUrl(hostPort: string, user: string, password: string, vhost: string): string {
  const withPort = /:\d+$/.test(hostPort) ? hostPort : `${hostPort}:5672`;
  return `amqp://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${withPort}/${encodeURIComponent(vhost)}`;
}

export interface SentinelAddress {
  host: string;
  port: number;
}

/** `host:port` or `[ipv6]:port`; undefined when it is neither or the port is out of range. */
export function parseSentinelAddress(text: string): SentinelAddress | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1] ?? m[2], port };
}

/** The configured sentinels (validated at load, so every item parses). */
export function sentinelAddresses(config: StorageConfig): SentinelAddress[] {
  return config.global.redis_sentinels.map((item) => parseSentinelAddress(item)).filter((a): a is SentinelAddress => a !== undefined);
}

export class HostListError extends ConfigError {}

/**
 * The original host-list file: one host ID per line matching `^([^\s#]+)\s*$`, anything
 * else ignored. Unlike the original an empty list (or a `*` line) means every host, bound
 * with `#`. A missing file is an error only when `required`.
 */
export function readHostList(file: string, required: boolean): string[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (required || (error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new HostListError([`cannot read host list ${file}: ${(error as Error).message}`], { cause: error });
    }
  }
  return parseHostList(text, file);
}

export function parseHostList(text: string, source = 'host list'): string[] {
  const ids: string[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const m = /^([^\s#]+)\s*$/.exec(line);
    if (!m) return;
    if (m[1] === '*') ids.push(m[1]);
    else if (!isSafeName(m[1])) problems.push(`${source}:${i + 1}: host ID ${JSON.stringify(m[1])} is not a safe name`);
    // A binding key with * or # would be a wildcard, not this one host.
    else if (/[*#]/.test(m[1]))
      problems.push(`${source}:${i + 1}: host ID ${JSON.stringify(m[1])} contains * or #, which RabbitMQ would treat as wildcards`);
    else ids.push(m[1]);
  });
  if (problems.length) throw new HostListError(problems);
  return [...new Set(ids)];
}

/** Routing-key bindings of the storage queue: the host IDs, or `#` for every host. */
export function bindingsFor(hostIds: readonly string[]): string[] {
  if (hostIds.length === 0 || hostIds.includes('*')) return [ALL_HOSTS_BINDING];
  return [...hostIds];
}

/** Pino's level names for the original's (warning, critical). */
export function pinoLevel(level: string): string {
  if (level === 'warning') return 'warn';
  if (level === 'critical') return 'fatal';
  return level;
}
