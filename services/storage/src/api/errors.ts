import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { ErrorResponse } from '../../../../common/schemas/index.js';

/**
 * Every error the API answers with is one of these; the single error middleware below
 * turns them into an `ErrorResponse` JSON body. Messages may quote client input, always
 * through `quote()` (JSON-escaped, truncated) and always sent as JSON, never as HTML.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly parameter?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A missing or malformed query parameter (400). */
export class BadParameterError extends ApiError {
  constructor(parameter: string, message: string, options?: { cause?: unknown }) {
    super(400, message, parameter, options);
  }
}

/** The request is well-formed but would exceed a configured limit (400). */
export class LimitExceededError extends ApiError {
  constructor(
    readonly limit: string,
    message: string,
    parameter?: string,
  ) {
    super(400, message, parameter);
  }
}

/** Unknown host, plugin, data source or route (404). */
export class NotFoundError extends ApiError {
  constructor(message: string, parameter?: string) {
    super(404, message, parameter);
  }
}

export class UnauthorizedError extends ApiError {
  constructor(message = 'authentication required') {
    super(401, message);
  }
}

/** A stored series could not be read (corrupt file, I/O error): names the series, never the path. */
export class SeriesReadError extends ApiError {
  constructor(
    readonly series: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(500, `data source ${series} could not be read: ${reason}`, undefined, options);
  }
}

/** Redis (the index) does not answer (503). */
export class IndexUnavailableError extends ApiError {
  constructor(options?: { cause?: unknown }) {
    super(503, 'the index (Redis) is unavailable', undefined, options);
  }
}

/** Stored index data that is not what the storage writes (500). */
export class CorruptIndexError extends ApiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(500, message, undefined, options);
  }
}

/** Client input quoted in a message: JSON-escaped and cut to `max` characters. */
export function quote(value: string, max = 80): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}

export const notFoundRoute: RequestHandler = (req, _res, next) => {
  next(new NotFoundError(`no such endpoint: ${req.method} ${quote(req.path, 120)}`));
};

/** The one error middleware: ApiError → its status; body-parser errors → 400; anything else → 500. */
export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const known = toApiError(err);
    if (known.status >= 500) logger.error({ err, path: req.path }, 'request failed');
    const body: ErrorResponse = { error: known.message };
    if (known.parameter) body.parameter = known.parameter;
    res.status(known.status).json(body);
  };
}

function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const status = (err as { status?: unknown })?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new ApiError(status, `bad request: ${(err as Error).message}`, undefined, { cause: err });
  }
  return new ApiError(500, 'internal error', undefined, { cause: err });
}
