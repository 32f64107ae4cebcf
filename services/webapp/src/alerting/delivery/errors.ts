/**
 * Why one send failed. `permanent` failures (a receiver refusing the request as malformed,
 * a contact whose settings cannot be used) are not retried: the next attempt would fail the
 * same way. Everything else (refused connection, timeout, 5xx) is retried with backoff.
 */
export class SendError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SendError';
  }
}

/** The send did not finish within `[delivery] send_timeout_ms`. */
export class SendTimeoutError extends SendError {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`, false);
    this.name = 'SendTimeoutError';
  }
}

/** An HTTP receiver answered with a status other than 2xx. */
export class HttpStatusError extends SendError {
  constructor(
    readonly status: number,
    body: string,
  ) {
    // 408 and 429 say "later"; other 4xx say the request itself is wrong.
    super(`HTTP ${status}${body ? `: ${body}` : ''}`, status >= 400 && status < 500 && status !== 408 && status !== 429);
    this.name = 'HttpStatusError';
  }
}

/** A contact command exited with a non-zero status or was killed. */
export class CommandExitError extends SendError {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly signal: string | null,
    stderr: string,
  ) {
    const how = exitCode !== null ? `exited with status ${exitCode}` : `was killed by ${signal}`;
    super(`${command} ${how}${stderr ? `: ${stderr}` : ''}`, false);
    this.name = 'CommandExitError';
  }
}

/** The outbox could not be read or written (the database); the dispatcher tries again at its next poll. */
export class OutboxError extends Error {
  constructor(message: string, options: { cause: unknown }) {
    super(`${message}: ${(options.cause as Error)?.message ?? String(options.cause)}`, options);
    this.name = 'OutboxError';
  }
}

/** A message made fit for a VARCHAR(1024) column and one log line. */
export function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause =
    error instanceof Error && error.cause instanceof Error && !message.includes(error.cause.message) ? `: ${error.cause.message}` : '';
  return `${message}${cause}`.replace(/\s+/g, ' ').slice(0, 1000);
}
