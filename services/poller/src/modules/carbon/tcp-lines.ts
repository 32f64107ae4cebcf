import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP server that cuts what its clients send into lines and hands each one over, with
 * the bounds that keep one client from hurting the others: a line longer than
 * `maxLineLength` is skipped up to its newline (never buffered), a partial line older than
 * `lineTimeoutMs` (a client that never sends a newline) closes the connection, a
 * connection beyond `maxConnections` is closed at once, and a connection sending more than
 * `maxBadLines` bad lines in a row is closed (a flood). Bytes are read as latin1: every
 * byte one character, so a name with bytes outside ASCII is refused by the name rules
 * later, and a multi-byte character split across two packets cannot corrupt a line.
 */
export type TcpProblem = 'line_too_long' | 'too_many_connections' | 'incomplete_line_timeout' | 'bad_line_flood';

export interface TcpLineOptions {
  host: string;
  port: number;
  maxLineLength: number;
  maxConnections: number;
  lineTimeoutMs: number;
  maxBadLines: number;
  /**
   * One line: `text.slice(start, end)`, handed over as a range of the received chunk so that
   * no string is made for it unless the consumer needs one. Returns false when the line was
   * bad (counted towards the flood limit).
   */
  onLine(text: string, start: number, end: number): boolean;
  onProblem(reason: TcpProblem, example: () => string): void;
}

export class ListenError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ListenError';
  }
}

interface Connection {
  socket: Socket;
  pending: string;
  discarding: boolean;
  pendingSince: number;
  badInARow: number;
}

export class TcpLineServer {
  private server: Server | undefined;
  private readonly connections = new Set<Connection>();
  private timer: NodeJS.Timeout | undefined;
  private paused = false;
  readonly counters = { connections: 0, bytes: 0 };

  constructor(private readonly options: TcpLineOptions) {}

  get open(): number {
    return this.connections.size;
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? this.options.port;
  }

  async start(): Promise<void> {
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) =>
        reject(new ListenError(`cannot listen on tcp ${this.options.host}:${this.options.port}: ${error.message}`, { cause: error })),
      );
      server.listen({ host: this.options.host, port: this.options.port, backlog: 511 }, resolve);
    });
    server.on('error', () => {}); // after listening, errors belong to sockets
    this.server = server;
    this.timer = setInterval(() => this.closeStalled(), Math.max(50, Math.min(1000, this.options.lineTimeoutMs / 4)));
    this.timer.unref();
  }

  /** Stops accepting, lets connected clients finish for `graceMs`, then closes them. */
  async stop(graceMs: number): Promise<void> {
    clearInterval(this.timer);
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const connection of this.connections) connection.socket.end();
    const grace = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([closed, grace]);
    for (const connection of this.connections) connection.socket.destroy();
    await closed;
  }

  /** Backpressure: stop reading every socket until resume() (the clients' TCP windows fill). */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    for (const connection of this.connections) connection.socket.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    for (const connection of this.connections) connection.socket.resume();
  }

  private accept(socket: Socket): void {
    if (this.connections.size >= this.options.maxConnections) {
      this.options.onProblem('too_many_connections', () => `${socket.remoteAddress}:${socket.remotePort}`);
      socket.destroy();
      return;
    }
    this.counters.connections++;
    const connection: Connection = { socket, pending: '', discarding: false, pendingSince: 0, badInARow: 0 };
    this.connections.add(connection);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(connection, chunk));
    socket.on('end', () => {
      // A last line without its newline is still a line.
      if (connection.pending && !connection.discarding) this.options.onLine(connection.pending, 0, connection.pending.length);
      connection.pending = '';
      socket.end();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.connections.delete(connection));
    if (this.paused) socket.pause();
  }

  private receive(connection: Connection, chunk: Buffer): void {
    this.counters.bytes += chunk.length;
    const text = chunk.toString('latin1');
    let start = 0;
    const max = this.options.maxLineLength;
    for (;;) {
      const newline = text.indexOf('\n', start);
      if (newline < 0) break;
      if (connection.discarding) connection.discarding = false;
      else if (connection.pending) {
        const line = connection.pending + text.slice(start, newline);
        connection.pending = '';
        if (line.length > max) this.tooLong(connection, line);
        else if (!this.deliver(connection, line, 0, line.length)) return;
      } else if (newline - start > max) this.tooLong(connection, text.slice(start, newline));
      else if (!this.deliver(connection, text, start, newline)) return;
      start = newline + 1;
    }
    if (start < text.length && !connection.discarding) {
      if (!connection.pending) connection.pendingSince = Date.now();
      connection.pending += text.slice(start);
      if (connection.pending.length > max) {
        this.tooLong(connection, connection.pending);
        connection.pending = '';
        connection.discarding = true;
      }
    }
  }

  /** False when the connection was closed for a flood. */
  private deliver(connection: Connection, text: string, start: number, end: number): boolean {
    if (this.options.onLine(text, start, end)) {
      connection.badInARow = 0;
      return true;
    }
    if (++connection.badInARow <= this.options.maxBadLines) return true;
    this.options.onProblem('bad_line_flood', () => `${connection.socket.remoteAddress}: ${text.slice(start, end)}`);
    connection.socket.destroy();
    return false;
  }

  private tooLong(connection: Connection, line: string): void {
    this.options.onProblem('line_too_long', () => `${line.slice(0, 80)} (${line.length}+ characters)`);
    if (++connection.badInARow > this.options.maxBadLines) connection.socket.destroy();
  }

  private closeStalled(): void {
    const limit = Date.now() - this.options.lineTimeoutMs;
    for (const connection of this.connections) {
      if (connection.pending && connection.pendingSince < limit) {
        this.options.onProblem('incomplete_line_timeout', () => connection.pending);
        connection.socket.destroy();
      }
    }
  }
}
