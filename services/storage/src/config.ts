import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';
import { ALL_HOSTS_BINDING, type QueueType } from '../../../common/bus/src/topology.js';
import { ConfigError, formatConfig, loadConfig, parseIniBoolean } from '../../../common/config/index.js';
import { isSafeName } from '../../../common/schemas/index.js';

/**
 * The storage's configuration: the original `numeter_storage.cfg` (`[global]`, same keys
 * and meaning) plus new sections. Defaults live here and only here; every key can be
 * overridden by `NUMETER_STORAGE_<SECTION>_<KEY>`. `--print-config` prints the result.
 */
export const ENV_PREFIX = 'NUMETER_STORAGE';
export const DEFAULT_CONFIG_FILE = '/etc/numeter/numeter_storage.cfg';
export const SECRET_KEYS = ['rpc_password', 'redis_storage_password', 'password', 'auth_tokens', 'basic_auth_users'] as const;

const str = (def: string) => z.string().default(def);
const int = (def: number, min: number, max: number) =>
  z
    .string()
    .default(String(def))
    .transform((v, ctx) => {
      const n = Number(v.trim());
      if (!/^-?\d+$/.test(v.trim()) || n < min || n > max) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${JSON.stringify(v)} is not a whole number between ${min} and ${max}` });
        return z.NEVER;
      }
      return n;
    });
const num = (def: number, min: number, max: number) =>
  z
    .string()
    .default(String(def))
    .transform((v, ctx) => {
      const n = Number(v.trim());
      if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${JSON.stringify(v)} is not a number between ${min} and ${max}` });
        return z.NEVER;
      }
      return n;
    });
const bool = (def: boolean) =>
  z
    .string()
    .default(def ? 'true' : 'false')
    .transform((v, ctx) => {
      const b = parseIniBoolean(v);
      if (b === undefined) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${JSON.stringify(v)} is not a boolean (yes/no, true/false, on/off, 1/0)` });
        return z.NEVER;
      }
      return b;
    });
const list = (def: string) =>
  z
    .string()
    .default(def)
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );

export const StorageConfigSchema = z.object({
  global: z
    .object({
      enable: bool(true),
      storage_name: str(hostname()).refine(isSafeName, 'storage_name must be a safe name (no "/", control characters...)'),
      log_level: z.enum(['trace', 'debug', 'info', 'warning', 'warn', 'error', 'critical', 'fatal']).default('info'),
      log_path: str(''),
      rpc_hosts: list('127.0.0.1:5672'),
      rpc_password: str('guest'),
      redis_storage_host: str('127.0.0.1'),
      redis_storage_port: int(6379, 1, 65535),
      redis_storage_timeout: num(10, 0.1, 3600),
      redis_storage_password: str(''),
      redis_storage_db: int(0, 0, 1000),
      /** New: prefix of every Redis key (empty in production, as the original). */
      redis_key_prefix: str(''),
      host_list_file: str('/etc/numeter/host-list'),
      wsp_path: str('/var/lib/numeter/wsps'),
      wsp_path_md5_char: int(2, 1, 32),
      // Read by the original but unused here (its cleaners were never called; logs go to one
      // place): accepted so an original file loads unchanged, and ignored. See [cleaning].
      log_level_stdr: str(''),
      wsp_clean_time: str(''),
      wsp_delete: str(''),
    })
    .default({}),
  amqp: z
    .object({
      /** Full URL; when empty it is built from [global] rpc_hosts (first), user, rpc_password and vhost. */
      url: str(''),
      user: str('guest'),
      vhost: str('/'),
      queue_type: z.enum(['classic', 'quorum']).default('classic'),
      prefetch: int(500, 1, 65535),
      heartbeat: int(10, 0, 600),
    })
    .default({}),
  legacy: z
    .object({
      /** Consume the original Numeter's oslo.messaging envelopes too. */
      enabled: bool(false),
      url: str(''),
      vhost: str('/'),
      exchange: str('numeter'),
      exchange_durable: bool(false),
    })
    .default({}),
  cache: z
    .object({
      /** Points held in memory at most; when reached, no more messages are taken (backpressure). */
      max_points: int(200_000, 1, 100_000_000),
      /** Flush when this many points are pending... */
      flush_points: int(50_000, 1, 100_000_000),
      /** ...or when the oldest pending point has waited this long. */
      flush_interval_ms: int(200, 1, 600_000),
      max_open_files: int(2048, 1, 1_000_000),
    })
    .default({}),
  whisper: z
    .object({
      /** carbon storage-schemas.conf style file; empty = the original archives for every series. */
      schemas_file: str(''),
      /** carbon storage-aggregation.conf style file; empty = average, xFilesFactor 0.5. */
      aggregation_file: str(''),
      /** Create files sparse (ftruncate) instead of writing zeros. */
      sparse: bool(false),
      /** Points up to this far in the future are accepted (poller clock skew). */
      max_future_seconds: int(600, 0, 86_400),
    })
    .default({}),
  cleaning: z
    .object({
      enabled: bool(false),
      interval_seconds: int(3600, 1, 7 * 86_400),
      /** Hosts and plugins not seen for this long are marked deleted. */
      mark_after_days: num(2, 0.0001, 3650),
      /** Remove their files (and index entries) this long after they were marked. */
      remove_files: bool(false),
      grace_days: num(30, 0, 3650),
    })
    .default({}),
  api: z
    .object({
      enabled: bool(true),
      listen: str('127.0.0.1'),
      port: int(8080, 0, 65535),
      prefix: str('/numeter-storage'),
      auth_tokens: list(''),
      /** Comma list of user:password. */
      basic_auth_users: list(''),
      rate_limit_per_minute: int(600, 0, 1_000_000),
      max_points: int(200_000, 1, 100_000_000),
      max_find_results: int(10_000, 1, 10_000_000),
    })
    .default({}),
});
export type StorageConfig = z.output<typeof StorageConfigSchema>;

const shape = StorageConfigSchema.shape;
export const KNOWN_KEYS: Record<string, readonly string[]> = Object.fromEntries(
  Object.entries(shape).map(([section, schema]) => [section, Object.keys((schema as z.ZodDefault<z.AnyZodObject>)._def.innerType.shape)]),
);

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

export function queueTypeOf(config: StorageConfig): QueueType {
  return config.amqp.queue_type;
}

/** Pino's level names for the original's (warning, critical). */
export function pinoLevel(level: string): string {
  if (level === 'warning') return 'warn';
  if (level === 'critical') return 'fatal';
  return level;
}
