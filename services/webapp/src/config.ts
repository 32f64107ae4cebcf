import { z } from 'zod';
import { formatConfig, loadConfig } from '../../../common/config/index.js';

/** Default place of the INI file, as the original `/etc/numeter/numeter_webapp.cfg`. */
export const DEFAULT_CONFIG_FILE = '/etc/numeter/numeter_webapp.cfg';
export const ENV_PREFIX = 'NUMETER_WEBAPP';

const bool = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      const s = v.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(s)) return true;
      if (['0', 'false', 'no', 'off'].includes(s)) return false;
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected a boolean (true/false), got "${v}"` });
      return z.NEVER;
    });
const int = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected an integer in [${min}, ${max}], got "${v}"` });
        return z.NEVER;
      }
      return n;
    });
const str = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined ? fallback : v));

const Schema = z.object({
  database: z
    .object({
      host: str('127.0.0.1'),
      port: int(3306, 1, 65535),
      user: str('numeter'),
      password: str(''),
      name: str('numeter').refine((n) => /^[A-Za-z0-9_]{1,64}$/.test(n), 'letters, digits and _ only'),
      connection_limit: int(10, 1, 1000),
    })
    .default({}),
  web: z
    .object({
      listen: str('127.0.0.1'),
      port: int(8000, 0, 65535),
      /** Signs session cookies; several keys separated by commas (first signs, all verify) to rotate. */
      secret_key: str(''),
      secure_cookies: bool(false),
      trust_proxy: str('false'),
      session_max_age: int(14 * 86_400, 60, 365 * 86_400),
      login_attempts: int(10, 1, 10_000),
    })
    .default({}),
  storage: z
    .object({
      /** Seconds to wait for one storage request. */
      timeout: int(5, 1, 300),
      /** Seconds the merged `/hosts` of every storage is cached to find a host's storage. */
      hosts_cache: int(30, 0, 86_400),
    })
    .default({}),
  logging: z.object({ level: str('info'), file: str('') }).default({}),
});

export type WebappConfig = z.output<typeof Schema>;

export const KNOWN_KEYS = {
  database: ['host', 'port', 'user', 'password', 'name', 'connection_limit'],
  web: ['listen', 'port', 'secret_key', 'secure_cookies', 'trust_proxy', 'session_max_age', 'login_attempts'],
  storage: ['timeout', 'hosts_cache'],
  logging: ['level', 'file'],
} as const;

export const SECRET_KEYS = ['password', 'secret_key'];

/** Defaults < INI file < `NUMETER_WEBAPP_<SECTION>_<KEY>`; throws ConfigError listing every problem. */
export function loadWebappConfig(file: string | undefined, fileRequired: boolean, env: NodeJS.ProcessEnv = process.env): WebappConfig {
  return loadConfig({ schema: Schema, file, fileRequired, envPrefix: ENV_PREFIX, env, knownKeys: KNOWN_KEYS });
}

export function printableConfig(config: WebappConfig): string {
  return formatConfig(config as unknown as Record<string, Record<string, unknown>>, SECRET_KEYS);
}

/** `trust proxy` accepts true/false, a hop count or addresses, as express does. */
export function trustProxySetting(value: string): boolean | number | string {
  const v = value.trim().toLowerCase();
  if (v === '' || v === 'false' || v === 'no' || v === '0') return false;
  if (v === 'true' || v === 'yes') return true;
  if (/^\d+$/.test(v)) return Number(v);
  return value;
}
