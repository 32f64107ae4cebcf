import { type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger } from 'pino';

export interface LoggingOptions {
  /** Service name, in every line. */
  name: string;
  level?: string;
  /** File to append to; standard error when absent. */
  file?: string;
}

/**
 * JSON lines through pino. Secrets are redacted by key name wherever they appear.
 * Expected conditions (broker down, node unreachable) are logged as one line with
 * `err.message`, not a stack: callers pass `{ reason }`, not the error object.
 */
export function createLogger(options: LoggingOptions): Logger {
  const config: LoggerOptions = {
    name: options.name,
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: ['password', '*.password', 'token', '*.token', 'rpc_password', '*.rpc_password'], censor: '***' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const destination = options.file ? pino.destination({ dest: options.file, mkdir: true, sync: false }) : pino.destination(2);
  return pino(config, destination);
}

/** A logger that writes nothing, for tests and library defaults. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
