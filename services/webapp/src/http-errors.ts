import type { NextFunction, Request, Response } from 'express';
import { ZodError } from 'zod';
import { ChartError } from '../../../common/charts/index.js';
import type { Logger } from '../../../common/logging/index.js';
import { isDuplicateKey, isForeignKeyFailure } from './repos/sql.js';
import { StorageError, StorageNotFoundError, StorageRequestError, StorageUnavailableError } from './storage-client/errors.js';

/** An error with an HTTP status; `field` names the bad body field or query parameter. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HttpError';
  }
}
export class NotFoundError extends HttpError {
  constructor(what = 'not found') {
    super(404, what);
    this.name = 'NotFoundError';
  }
}
export class ValidationError extends HttpError {
  constructor(message: string, field?: string, options?: { cause?: unknown }) {
    super(400, message, field, options);
    this.name = 'ValidationError';
  }
}

/** The first zod issue as a 400 naming the field (`sources.2`, `page_size`, ...). */
export function fromZod(error: ZodError): ValidationError {
  const issue = error.issues[0];
  const path = issue?.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : (issue?.path ?? []);
  const field = path.join('.') || undefined;
  return new ValidationError(field ? `${field}: ${issue.message}` : (issue?.message ?? 'invalid request'), field, { cause: error });
}

/** The JSON status and body of any error thrown by a route. */
export function errorResponse(error: unknown): { status: number; body: { error: string; field?: string; storage?: string } } {
  if (error instanceof ZodError) error = fromZod(error);
  // A chart error of the server itself (worker failed, font missing) stays "internal error", as any 500.
  if (error instanceof HttpError || (error instanceof ChartError && error.status !== 500))
    return { status: error.status, body: { error: error.message, ...(error.field ? { field: error.field } : {}) } };
  if (error instanceof StorageNotFoundError) return { status: 404, body: { error: error.message, storage: error.storageName } };
  if (error instanceof StorageRequestError)
    return { status: 400, body: { error: error.message, storage: error.storageName, field: error.parameter } };
  if (error instanceof StorageUnavailableError || error instanceof StorageError)
    return { status: 503, body: { error: error.message, ...(error.storageName ? { storage: error.storageName } : {}) } };
  if (isDuplicateKey(error)) return { status: 409, body: { error: 'already exists (a unique name or id is taken)' } };
  if (isForeignKeyFailure(error)) return { status: 400, body: { error: 'refers to an object that does not exist' } };
  const status = (error as { status?: number; statusCode?: number }).status ?? (error as { statusCode?: number }).statusCode;
  if (status && status >= 400 && status < 500) return { status, body: { error: (error as Error).message } };
  return { status: 500, body: { error: 'internal error' } };
}

export function jsonErrorHandler(logger: Logger) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const { status, body } = errorResponse(error);
    if (status >= 500) logger.error({ err: error, url: req.originalUrl }, 'request failed');
    if (res.headersSent) return;
    res.status(status).json(body);
  };
}
