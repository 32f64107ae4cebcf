import type { Server } from 'node:http';
import { Deadline, type DeadlineInput } from './deadline.js';

/**
 * Closes an HTTP server by the deadline: stops listening at once, closes idle keep-alive
 * connections, lets requests in progress finish (their connections are closed as soon as
 * they turn idle, swept every `SWEEP_MS`, rather than living on for the keep-alive
 * timeout), and at the deadline closes whatever is still open. Resolves when the server
 * has closed (every socket gone); a server that is not listening resolves at once.
 */
/** How often connections that finished their request are closed while a server closes. */
export const SWEEP_MS = 50;

export function closeHttpServer(server: Server, deadline: DeadlineInput): Promise<void> {
  const due = Deadline.of(deadline);
  return new Promise<void>((resolve) => {
    if (!server.listening) {
      server.closeAllConnections();
      resolve();
      return;
    }
    const { clock } = due;
    let sweep: unknown;
    const sweepIdle = () => {
      server.closeIdleConnections();
      sweep = clock.setTimeout(sweepIdle, SWEEP_MS);
    };
    const forceClose = clock.setTimeout(() => server.closeAllConnections(), due.remainingMs());
    server.close(() => {
      clock.clearTimeout(forceClose);
      clock.clearTimeout(sweep);
      resolve();
    });
    sweepIdle();
  });
}
