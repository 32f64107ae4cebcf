/**
 * Errors of the shared chart renderer. The ones a client caused or must wait out carry the
 * HTTP status and, for a limit, the parameter it concerns; each service turns them into its
 * own error answer (the webapp's errorResponse, the storage's ApiError).
 */
export class ChartError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A size or a graph too large to draw (400); `field` names the parameter. */
export class PngLimitError extends ChartError {
  constructor(
    readonly limit: string,
    message: string,
    field: string,
  ) {
    super(400, message, field);
  }
}

export interface PngPoolLimits {
  concurrency: number;
  queueLimit: number;
  timeoutMs: number;
}

export class PngBusyError extends ChartError {
  constructor(pending: number, limits: PngPoolLimits) {
    super(
      503,
      `PNG rendering busy: ${pending} renders running or waiting (the limit: ${limits.concurrency} at once and ${limits.queueLimit} waiting); try again in a few seconds`,
    );
  }
}

export class PngTimeoutError extends ChartError {
  constructor(timeoutMs: number) {
    super(503, `PNG rendering stopped after the ${timeoutMs} ms limit: ask for a smaller size or a shorter range`);
  }
}

/** The worker failed or the pool is stopped: the server's fault (500). */
export class PngWorkerError extends ChartError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(500, message, undefined, options);
  }
}

export class FontMissingError extends ChartError {
  constructor(message: string) {
    super(500, message);
  }
}
