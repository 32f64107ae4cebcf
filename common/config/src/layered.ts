import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { type IniDocument, parseIni } from './ini.js';

/**
 * One way to configure every service: defaults (in the service's zod schema) < INI file <
 * environment variables. A variable `<PREFIX>_<SECTION>_<KEY>` (upper case, non
 * alphanumerics as `_`) overrides `[section] key`, e.g. NUMETER_POLLER_GLOBAL_POLLER_TIME.
 * Validation lists every problem at once; the entry point prints them and exits non-zero.
 */
export class ConfigError extends Error {
  constructor(
    readonly problems: string[],
    options?: { cause?: unknown },
  ) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`, options);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions<S extends z.ZodTypeAny> {
  /** Sections and keys the service knows: the schema of the raw string document. */
  schema: S;
  /** The INI file; undefined means defaults and environment only. */
  file?: string;
  /** Whether a missing file is an error (true when the user named it explicitly). */
  fileRequired?: boolean;
  envPrefix: string;
  env?: NodeJS.ProcessEnv;
  /** Sections/keys to look for in the environment (typically the schema's shape). */
  knownKeys: Record<string, readonly string[]>;
}

export function envVariableName(prefix: string, section: string, key: string): string {
  return [prefix, section, key]
    .join('_')
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_');
}

export function readIniFile(file: string | undefined, required: boolean): IniDocument {
  if (!file) return {};
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError([`cannot read config file ${file}: ${(error as Error).message}`], { cause: error });
  }
  try {
    return parseIni(text, file);
  } catch (error) {
    throw new ConfigError([(error as Error).message], { cause: error });
  }
}

export function applyEnvOverrides(
  doc: IniDocument,
  prefix: string,
  knownKeys: Record<string, readonly string[]>,
  env: NodeJS.ProcessEnv,
): IniDocument {
  const out: IniDocument = structuredClone(doc);
  for (const [section, keys] of Object.entries(knownKeys)) {
    for (const key of keys) {
      const value = env[envVariableName(prefix, section, key)];
      if (value === undefined) continue;
      out[section] ??= {};
      out[section][key] = value;
    }
  }
  return out;
}

/** Reads, overrides, validates; throws ConfigError listing every problem. */
export function loadConfig<S extends z.ZodTypeAny>(options: LoadConfigOptions<S>): z.output<S> {
  const doc = applyEnvOverrides(
    readIniFile(options.file, options.fileRequired ?? false),
    options.envPrefix,
    options.knownKeys,
    options.env ?? process.env,
  );
  const unknown = unknownKeys(doc, options.knownKeys);
  const parsed = options.schema.safeParse(doc);
  const problems = [...unknown];
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      problems.push(`[${issue.path.slice(0, 1).join('')}] ${issue.path.slice(1).join('.') || ''}: ${issue.message}`.replace('] :', ']:'));
  }
  if (problems.length) throw new ConfigError(problems);
  return parsed.data;
}

function unknownKeys(doc: IniDocument, known: Record<string, readonly string[]>): string[] {
  const problems: string[] = [];
  for (const [section, values] of Object.entries(doc)) {
    const keys = known[section];
    if (!keys) continue; // unknown sections belong to modules/plugins; they validate their own
    for (const key of Object.keys(values)) {
      if (!keys.includes(key)) problems.push(`[${section}] ${key}: unknown key (known: ${keys.join(', ')})`);
    }
  }
  return problems;
}

/** `--print-config`: the effective configuration, secrets masked, as INI. */
export function formatConfig(config: Record<string, Record<string, unknown>>, secretKeys: readonly string[] = []): string {
  const lines: string[] = [];
  for (const [section, values] of Object.entries(config)) {
    lines.push(`[${section}]`);
    for (const [key, value] of Object.entries(values)) {
      const shown = secretKeys.includes(key) && value ? '********' : Array.isArray(value) ? value.join(',') : String(value ?? '');
      lines.push(`${key} = ${shown}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
