import { z } from 'zod';
import { formatConfig, iniBool, iniEnum, iniInt, iniString, knownKeysOf, loadConfig } from '../../../common/config/index.js';
import { DeliverySection, SmtpSection } from './alerting/delivery/config.js';

/** Default place of the INI file, as the original `/etc/numeter/numeter_webapp.cfg`. */
export const DEFAULT_CONFIG_FILE = '/etc/numeter/numeter_webapp.cfg';
export const ENV_PREFIX = 'NUMETER_WEBAPP';
/** How long the whole stop of `serve` or `alerter` may take, from the signal. */
export const STOP_DEADLINE_MS = 10_000;

const Schema = z.object({
  database: z
    .object({
      /** Kept so an original numeter_webapp.cfg loads: Django's engine name; only MySQL/MariaDB is served. */
      engine: iniString('mysql').refine(
        (e) => e.trim() === '' || /mysql/i.test(e),
        'only MySQL/MariaDB is supported (e.g. django.db.backends.mysql)',
      ),
      host: iniString('127.0.0.1'),
      port: iniInt(3306, 1, 65535),
      user: iniString('numeter'),
      password: iniString(''),
      name: iniString('numeter').refine((n) => /^[A-Za-z0-9_]{1,64}$/.test(n), 'letters, digits and _ only'),
      connection_limit: iniInt(10, 1, 1000),
    })
    .default({}),
  web: z
    .object({
      listen: iniString('127.0.0.1'),
      port: iniInt(8000, 0, 65535),
      /** Signs session cookies; several keys separated by commas (first signs, all verify) to rotate. */
      secret_key: iniString(''),
      secure_cookies: iniBool(false),
      trust_proxy: iniString('false'),
      session_max_age: iniInt(14 * 86_400, 60, 365 * 86_400),
      login_attempts: iniInt(10, 1, 10_000),
      /** The webapp's address as its users reach it (`https://numeter.example.org`): alert notifications link to graphs under it; empty = no links. */
      public_url: iniString('').refine(validPublicUrl, 'an http:// or https:// URL without query or fragment, or empty'),
    })
    .default({}),
  storage: z
    .object({
      /** Seconds to wait for one storage request. */
      timeout: iniInt(5, 1, 300),
      /** Seconds the merged `/hosts` of every storage is cached to find a host's storage. */
      hosts_cache: iniInt(30, 0, 86_400),
      /** Longest single wait (seconds) before asking again after a 429 or 503, whatever Retry-After says. */
      retry_max_wait: iniInt(30, 1, 3600),
      /** Seconds a page or API request may spend retrying one storage request after 429/503 (0 = no retry). */
      retry_deadline: iniInt(5, 0, 3600),
      /** The same for `populate`, where nobody waits on a page. */
      populate_retry_deadline: iniInt(300, 0, 86_400),
      /** Hosts `populate` reads and writes at once (storage requests and database connections). */
      populate_concurrency: iniInt(8, 1, 64),
    })
    .default({}),
  /** The mail relay of alert notifications (alerting/delivery/config.ts). */
  smtp: SmtpSection,
  /** Sending alert notifications: polling, leases, timeouts, retries (alerting/delivery/config.ts). */
  delivery: DeliverySection,
  /** The alerting engine (docs/alerting.md): evaluation of every poller message, states, notifications. */
  alerting: z
    .object({
      /** Run the engine inside `numeter-webapp serve`; `numeter-webapp alerter` runs it alone either way. */
      enabled: iniBool(true),
      /** The broker the pollers publish to; user and password apart so --print-config can mask the password. */
      amqp_url: iniString('amqp://127.0.0.1:5672/%2F').refine(validAmqpUrl, 'an amqp:// or amqps:// URL'),
      amqp_user: iniString('guest'),
      amqp_password: iniString('guest'),
      queue_type: iniEnum('classic', ['classic', 'quorum']),
      prefetch: iniInt(200, 1, 65535),
      heartbeat: iniInt(10, 0, 600),
      /** A munin or view threshold series silent this long becomes UNKNOWN (munin: 2 runs of 5 minutes); 0 = never. */
      nodata_minutes: iniInt(10, 0, 7 * 24 * 60),
      /** How often no-data limits and repeats are checked. */
      sweep_seconds: iniInt(10, 1, 3600),
      /** How often the rule tables are checked for changes (an edit is evaluated within this). */
      rules_reload_seconds: iniInt(5, 1, 3600),
      /** Flapping: verdicts considered (0 = no detection), percent state change that starts and stops it. */
      flap_window: iniInt(21, 0, 100),
      flap_start_percent: iniInt(50, 1, 100),
      flap_stop_percent: iniInt(25, 0, 100),
      /** A munin master's munin.conf whose `host.plugin.field.warning|critical` overrides apply; empty = none. */
      munin_conf: iniString(''),
      /** Host ID of a munin.conf host, as the poller's [munin] host_id_format: `{name}`, `{group}`. */
      munin_host_id_format: iniString('{name}').refine((f) => f.includes('{name}'), 'must contain {name}'),
      /** The latest value of each problem is written this often (not per point); changes are written at once. */
      value_flush_seconds: iniInt(15, 1, 3600),
      /** States written per flush at most (the rest wait for the next), so a flush stays one short transaction. */
      value_flush_max_rows: iniInt(5000, 1, 1_000_000),
    })
    .default({}),
  logging: z
    .object({
      level: iniEnum('info', ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
      file: iniString(''),
      /** The original's keys, accepted so its config loads: `info_file` is used when `file` is empty; the rest are ignored. */
      use_logging: iniBool(true),
      info_file: iniString(''),
      error_file: iniString(''),
      file_size: iniString(''),
    })
    .default({}),
});

export type WebappConfig = z.output<typeof Schema>;

export const KNOWN_KEYS = knownKeysOf(Schema);

export const SECRET_KEYS = ['password', 'secret_key', 'amqp_password'];

/** Defaults < INI file < `NUMETER_WEBAPP_<SECTION>_<KEY>`; throws ConfigError listing every problem. */
export function loadWebappConfig(file: string | undefined, fileRequired: boolean, env: NodeJS.ProcessEnv = process.env): WebappConfig {
  return loadConfig({ schema: Schema, file, fileRequired, envPrefix: ENV_PREFIX, env, knownKeys: KNOWN_KEYS });
}

/** The log file: `[logging] file`, else the original's `info_file`; none (standard error) when both are empty. */
export function logFile(config: WebappConfig): string | undefined {
  return config.logging.file || config.logging.info_file || undefined;
}

export function printableConfig(config: WebappConfig): string {
  return formatConfig(config as unknown as Record<string, Record<string, unknown>>, SECRET_KEYS);
}

function validAmqpUrl(url: string): boolean {
  try {
    return ['amqp:', 'amqps:'].includes(new URL(url).protocol);
  } catch {
    return false;
  }
}

function validPublicUrl(url: string): boolean {
  if (url.trim() === '') return true;
  try {
    const parsed = new URL(url);
    return ['http:', 'https:'].includes(parsed.protocol) && !parsed.search && !parsed.hash && !parsed.username;
  } catch {
    return false;
  }
}

/** The alerting engine's broker URL: [alerting] amqp_url with its user and password. */
export function alertingAmqpUrl(config: WebappConfig): string {
  const url = new URL(config.alerting.amqp_url);
  url.username = encodeURIComponent(config.alerting.amqp_user);
  url.password = encodeURIComponent(config.alerting.amqp_password);
  return url.toString();
}

/** `trust proxy` accepts true/false, a hop count or addresses, as express does. */
export function trustProxySetting(value: string): boolean | number | string {
  const v = value.trim().toLowerCase();
  if (v === '' || v === 'false' || v === 'no' || v === '0') return false;
  if (v === 'true' || v === 'yes') return true;
  if (/^\d+$/.test(v)) return Number(v);
  return value;
}
