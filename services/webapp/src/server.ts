import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Component, closeHttpServer, type DeadlineInput } from '../../../common/lifecycle/index.js';
import { createApp } from './app.js';
import { migrate } from './db/migrations.js';
import type { AppDeps } from './deps.js';

/**
 * The HTTP server: migrations, then listen; stop closes connections within a deadline. The
 * database pool and the PNG workers belong to whoever built the deps (`deps.close()`).
 */
export class WebappServer implements Component {
  readonly name = 'http';
  private server: Server | null = null;
  private stopping: Promise<void> | null = null;
  private readonly counters = { started: 0 };

  constructor(private readonly deps: AppDeps) {}

  async start(): Promise<AddressInfo> {
    if (this.server) return this.server.address() as AddressInfo;
    const result = await migrate(this.deps.pool);
    if (result.applied.length) this.deps.logger.info({ applied: result.applied }, 'database migrated');
    const app = await createApp(this.deps);
    const { listen, port } = this.deps.config.web;
    this.server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(port, listen, (err?: Error) => (err ? reject(err) : resolve(s)));
    });
    this.counters.started++;
    const address = this.server.address() as AddressInfo;
    this.deps.logger.info({ listen: address.address, port: address.port }, 'numeter-webapp listening');
    return address;
  }

  /** Stops listening and closes connections by the deadline (10 s unless given); a second call awaits the first. */
  stop(deadline: DeadlineInput = 10_000): Promise<void> {
    this.stopping ??= (async () => {
      const server = this.server;
      if (server) await closeHttpServer(server, deadline);
      this.server = null;
    })().finally(() => {
      this.stopping = null;
    });
    return this.stopping;
  }

  stats(): Record<string, number> {
    return { ...this.counters };
  }
}
