/** A component failed to start; what it had started was stopped again. */
export class ComponentStartError extends Error {
  constructor(
    readonly component: string,
    options: { cause: unknown },
  ) {
    super(`${component} failed to start: ${(options.cause as Error)?.message ?? String(options.cause)}`, options);
    this.name = 'ComponentStartError';
  }
}
