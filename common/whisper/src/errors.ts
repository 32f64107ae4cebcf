/**
 * Error hierarchy of the Whisper library. It mirrors python-whisper's exceptions
 * (WhisperException and its subclasses) so callers can tell configuration mistakes,
 * out-of-range timestamps and damaged files apart. Every error raised while a file is
 * involved carries that file's `path`, and wrapped errors keep the original as `cause`.
 */

export interface WhisperErrorOptions {
  path?: string;
  cause?: unknown;
}

export class WhisperError extends Error {
  /** The file the operation was working on, when there is one. */
  readonly path?: string;
  /** errno code (e.g. 'ENOENT') when the error wraps a failed system call. */
  readonly code?: string;

  constructor(message: string, opts: WhisperErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    if (opts.path !== undefined) this.path = opts.path;
    const code = (opts.cause as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string') this.code = code;
  }
}

/** A retention definition or archive list that whisper cannot store. */
export class InvalidConfigurationError extends WhisperError {}
/** A fetch whose from time is after its until time. */
export class InvalidTimeIntervalError extends WhisperError {}
/** A timestamp no archive of the file can hold (too old, in the future, or unrepresentable). */
export class TimestampNotCoveredError extends WhisperError {}
/** An aggregation method name or code outside the eight whisper knows. */
export class InvalidAggregationMethodError extends WhisperError {}
/** An xFilesFactor that is not a number in [0, 1]. */
export class InvalidXFilesFactorError extends WhisperError {}

/**
 * The file is not a readable whisper file: header out of range, truncated data area,
 * archives that do not fit in the file. The message always names the file, like
 * python-whisper's `str(CorruptWhisperFile)` ("<error> (<path>)").
 */
export class CorruptWhisperFileError extends WhisperError {
  /** The bare reason, without the path (python-whisper's `.error`). */
  readonly error: string;

  constructor(error: string, path: string, opts: { cause?: unknown } = {}) {
    super(`${error} (${path})`, { path, cause: opts.cause });
    this.error = error;
  }
}
