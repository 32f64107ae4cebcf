/**
 * What can go wrong asking a storage; pages render these per graph, REST maps them to a status.
 * `message` is shown to any user, so it names the storage but never its URL or the connection
 * error (addresses, ports, resolver text); those are in `detail`, for logs and the command line.
 */
export interface StorageErrorOptions {
  cause?: unknown;
  detail?: string;
}
export class StorageError extends Error {
  readonly detail: string | undefined;
  constructor(
    message: string,
    readonly storageName: string,
    options?: StorageErrorOptions,
  ) {
    super(message, options);
    this.name = 'StorageError';
    this.detail = options?.detail;
  }
}

/** Message and detail, for administrators (command line, logs). */
export function describeStorageError(error: StorageError): string {
  return error.detail ? `${error.message} (${error.detail})` : error.message;
}

/** Refused, timed out, 5xx, or a body that does not match the storage API shapes. */
export class StorageUnavailableError extends StorageError {
  constructor(message: string, storageName: string, options?: StorageErrorOptions) {
    super(message, storageName, options);
    this.name = 'StorageUnavailableError';
  }
}

/** The storage kept answering 429 (rate limit) or 503 (busy) until the retry deadline. */
export class StorageBusyError extends StorageUnavailableError {
  constructor(
    storageName: string,
    readonly status: number,
    path: string,
    readonly attempts: number,
    waitedSeconds: number,
    options?: StorageErrorOptions,
  ) {
    super(
      `storage "${storageName}" still answered HTTP ${status} on ${path} after ${attempts} tries in ${waitedSeconds.toFixed(1)} s (${status === 429 ? 'its rate limit: give the webapp a client token with its own rate' : 'busy'})`,
      storageName,
      options,
    );
    this.name = 'StorageBusyError';
  }
}

/** The storage answered 404: it does not have this host or plugin. */
export class StorageNotFoundError extends StorageError {
  constructor(message: string, storageName: string, options?: StorageErrorOptions) {
    super(message, storageName, options);
    this.name = 'StorageNotFoundError';
  }
}

/** The storage answered 400 (`parameter` names the bad query parameter). */
export class StorageRequestError extends StorageError {
  constructor(
    message: string,
    storageName: string,
    readonly parameter?: string,
    options?: { cause?: unknown },
  ) {
    super(message, storageName, options);
    this.name = 'StorageRequestError';
  }
}

/** No configured storage has this host. */
export class HostNotOnAnyStorageError extends StorageError {
  constructor(hostid: string) {
    super(`host "${hostid}" is not on any storage`, '');
    this.name = 'HostNotOnAnyStorageError';
  }
}
