import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy a test can cut: while down, every proxied connection is destroyed and new
 * ones are closed at once, exactly what a client sees when the peer's host vanishes.
 * Lets fault tests simulate a broker outage without touching the shared broker.
 */
export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  /** Each proxied direction, to freeze it. */
  private readonly pipes = new Set<{ from: Socket; to: Socket }>();
  private down = false;
  port = 0;
  /** Connections proxied, and connections refused while cut. */
  readonly counters = { connections: 0, refused: 0 };

  constructor(
    private readonly targetPort = 5672,
    private readonly targetHost = '127.0.0.1',
  ) {}

  async start(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
  }

  /** amqp URL (guest) through the proxy for `vhost`. */
  url(vhost: string): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}/${encodeURIComponent(vhost)}`;
  }

  /** Drops every connection and refuses new ones until restore(). */
  cut(): void {
    this.down = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /**
   * Stops forwarding bytes both ways but keeps every connection open: a peer that hangs
   * (no answer, no reset), which only a deadline gets a client out of. New connections
   * still come through.
   */
  freeze(): void {
    for (const { from, to } of this.pipes) {
      from.unpipe(to);
      from.pause();
    }
    this.pipes.clear();
  }

  restore(): void {
    this.down = false;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(client: Socket): void {
    if (this.down) {
      this.counters.refused++;
      client.destroy();
      return;
    }
    this.counters.connections++;
    const upstream = connect(this.targetPort, this.targetHost);
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(a);
      a.on('error', () => b.destroy());
      const pipe = { from: a, to: b };
      this.pipes.add(pipe);
      a.on('close', () => {
        this.sockets.delete(a);
        this.pipes.delete(pipe);
        b.destroy();
      });
      a.pipe(b);
    }
  }
}
