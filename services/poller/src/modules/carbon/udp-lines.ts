import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { ListenError } from './tcp-lines.js';

/**
 * A UDP socket whose datagrams are cut into lines (a datagram's last line needs no
 * newline). A line longer than `maxLineLength` is skipped and reported; the rest of the
 * datagram goes on. `accepting()` false drops whole datagrams (the batch is full: UDP has
 * no backpressure), reported once per datagram.
 */
export interface UdpLineOptions {
  host: string;
  port: number;
  maxLineLength: number;
  onLine(line: string): boolean;
  onProblem(reason: 'line_too_long' | 'buffer_full', example: () => string, amount?: number): void;
  accepting(): boolean;
}

export class UdpLineSocket {
  private socket: Socket | undefined;
  readonly counters = { datagrams: 0, bytes: 0 };

  constructor(private readonly options: UdpLineOptions) {}

  get port(): number {
    return this.socket?.address().port ?? this.options.port;
  }

  async start(): Promise<void> {
    const socket = createSocket({ type: isIP(this.options.host) === 6 ? 'udp6' : 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (error) => {
        socket.close();
        reject(new ListenError(`cannot listen on udp ${this.options.host}:${this.options.port}: ${error.message}`, { cause: error }));
      });
      socket.bind({ address: this.options.host, port: this.options.port }, () => resolve());
    });
    socket.on('error', () => {});
    socket.on('message', (datagram) => this.receive(datagram));
    this.socket = socket;
  }

  async stop(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private receive(datagram: Buffer): void {
    this.counters.datagrams++;
    this.counters.bytes += datagram.length;
    const text = datagram.toString('latin1');
    if (!this.options.accepting()) {
      this.options.onProblem('buffer_full', () => text, 1);
      return;
    }
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      const line = text.slice(start, end);
      if (line.length > this.options.maxLineLength)
        this.options.onProblem('line_too_long', () => `${line.slice(0, 80)} (${line.length} characters)`);
      else this.options.onLine(line);
      start = end + 1;
    }
  }
}
