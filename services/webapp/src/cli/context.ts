import { ConfigError } from '../../../../common/config/index.js';
import { EXIT_BAD_CONFIG, EXIT_FAILURE } from '../../../../common/lifecycle/index.js';
import { type Logger, silentLogger } from '../../../../common/logging/index.js';
import { DEFAULT_CONFIG_FILE, loadWebappConfig, type WebappConfig } from '../config.js';
import { migrate } from '../db/migrations.js';
import { type AppDeps, buildDeps } from '../deps.js';

/** Raised by commands for bad arguments: printed without a stack, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface GlobalOptions {
  config?: string;
}

export function readConfig(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): WebappConfig {
  return loadWebappConfig(options.config ?? DEFAULT_CONFIG_FILE, options.config !== undefined, env);
}

/**
 * Runs one command with its own pool (closed afterwards, so the process can exit). The schema
 * is brought up to date first (a no-op when it is), so `user add` works on a new database.
 */
export async function withDeps<T>(
  options: GlobalOptions,
  fn: (deps: AppDeps) => Promise<T>,
  logger: Logger = silentLogger(),
  setup: { migrate: boolean } = { migrate: true },
): Promise<T> {
  const deps = buildDeps(readConfig(options), { logger });
  try {
    if (setup.migrate) await migrate(deps.pool);
    return await fn(deps);
  } finally {
    await deps.close();
  }
}

/** Fixed-width columns, as the original's tabular command output. */
export function table(headers: string[], rows: (string | number | boolean | null)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null ? '' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function idList(value: string): number[] {
  return value.split(',').map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`not an id: "${s}"`);
    return n;
  });
}

export function nameList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function parseBool(value: string): boolean {
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new UsageError(`not a boolean: "${value}"`);
}

export function describeError(error: unknown): { message: string; code: number } {
  if (error instanceof UsageError) return { message: error.message, code: EXIT_BAD_CONFIG };
  if (error instanceof ConfigError) return { message: error.message, code: EXIT_BAD_CONFIG };
  return { message: (error as Error).message ?? String(error), code: EXIT_FAILURE };
}

export type Out = (line: string) => void;
