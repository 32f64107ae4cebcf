import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, envVariableName } from '../../common/config/index.js';
import {
  loadPollerConfig,
  DEFAULT_CONFIG_FILE as POLLER_FILE,
  ENV_PREFIX as POLLER_PREFIX,
} from '../../services/poller/src/config/schema.js';
import {
  loadStorageConfig,
  DEFAULT_CONFIG_FILE as STORAGE_FILE,
  KNOWN_KEYS as STORAGE_KEYS,
  ENV_PREFIX as STORAGE_PREFIX,
} from '../../services/storage/src/config.js';
import {
  loadWebappConfig,
  DEFAULT_CONFIG_FILE as WEBAPP_FILE,
  KNOWN_KEYS as WEBAPP_KEYS,
  ENV_PREFIX as WEBAPP_PREFIX,
} from '../../services/webapp/src/config.js';

/**
 * The three services' configuration as their own code defines it: environment prefix,
 * default file, known sections and keys, defaults (the loader run with no file and an
 * empty environment) and a way to load a file with the service's own loader. The config
 * reference, the example configs and the compose file are all checked against this.
 */
export type ServiceName = 'poller' | 'storage' | 'webapp';

export interface ServiceConfigInfo {
  name: ServiceName;
  envPrefix: string;
  defaultFile: string;
  knownKeys: Record<string, readonly string[]>;
  /** section → key → default as an INI value. */
  defaults: Record<string, Record<string, string>>;
  /** Loads a file with the service's own loader (throws its ConfigError). */
  load(file: string, env?: NodeJS.ProcessEnv): unknown;
}

/** A default that depends on the machine is shown as a description, not a value. */
const MACHINE_HOSTNAME = hostname();

export function iniValue(value: unknown): string {
  if (value instanceof RegExp) return value.source.replace(/^\^\(\?:(.*)\)\$?$/, '$1');
  if (Array.isArray(value)) return value.join(',');
  if (value === MACHINE_HOSTNAME) return "(this machine's host name)";
  return String(value ?? '');
}

function defaultsOf(config: Record<string, unknown>, knownKeys: Record<string, readonly string[]>): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [section, keys] of Object.entries(knownKeys)) {
    const values = (config[section] ?? {}) as Record<string, unknown>;
    out[section] = Object.fromEntries(keys.map((key) => [key, iniValue(values[key])]));
  }
  return out;
}

/**
 * The poller does not export its key list (services/poller/src/config/schema.ts keeps
 * KNOWN_KEYS private): its loader names the known keys when it meets an unknown one, so
 * ask it, section by section. Drop this when the poller exports KNOWN_KEYS.
 */
function pollerKnownKeys(sections: string[]): Record<string, string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'numeter-keys-'));
  try {
    const file = join(dir, 'probe.cfg');
    writeFileSync(file, sections.map((s) => `[${s}]\nzz_probe_unknown_key = 1\n`).join('\n'));
    try {
      loadPollerConfig({ file, fileRequired: true, env: {} });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      const out: Record<string, string[]> = {};
      for (const problem of error.problems) {
        const m = /^\[([^\]]+)\] zz_probe_unknown_key: unknown key \(known: (.*)\)$/.exec(problem);
        if (m) out[m[1]] = m[2].split(', ');
      }
      return out;
    }
    throw new Error('the poller accepted an unknown key: cannot list its keys');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function serviceConfigs(): ServiceConfigInfo[] {
  const storageDefaults = loadStorageConfig({ file: undefined, env: {} }) as unknown as Record<string, unknown>;
  const webappDefaults = loadWebappConfig(undefined, false, {}) as unknown as Record<string, unknown>;
  const pollerDefaults = loadPollerConfig({ file: '', env: {} }) as unknown as Record<string, unknown>;
  const pollerSections = Object.keys(pollerDefaults).filter((k) => k !== 'moduleSpecs' && k !== 'raw');
  const pollerKeys = pollerKnownKeys(pollerSections);
  return [
    {
      name: 'poller',
      envPrefix: POLLER_PREFIX,
      defaultFile: POLLER_FILE,
      knownKeys: pollerKeys,
      defaults: defaultsOf(pollerDefaults, pollerKeys),
      load: (file, env = {}) => loadPollerConfig({ file, fileRequired: true, env }),
    },
    {
      name: 'storage',
      envPrefix: STORAGE_PREFIX,
      defaultFile: STORAGE_FILE,
      knownKeys: STORAGE_KEYS,
      defaults: defaultsOf(storageDefaults, STORAGE_KEYS),
      load: (file, env = {}) => loadStorageConfig({ file, fileRequired: true, env }),
    },
    {
      name: 'webapp',
      envPrefix: WEBAPP_PREFIX,
      defaultFile: WEBAPP_FILE,
      knownKeys: WEBAPP_KEYS,
      defaults: defaultsOf(webappDefaults, WEBAPP_KEYS),
      load: (file, env = {}) => loadWebappConfig(file, true, env),
    },
  ];
}

/** Every environment variable a service reads: name → [section, key]. */
export function environmentVariables(service: ServiceConfigInfo): Map<string, [string, string]> {
  const out = new Map<string, [string, string]>();
  for (const [section, keys] of Object.entries(service.knownKeys))
    for (const key of keys) out.set(envVariableName(service.envPrefix, section, key), [section, key]);
  return out;
}
