import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Real carbon clients for the end-to-end tests: Debian's collectd (collectd-core) with
 * write_graphite, and a recording TCP relay between a client and the carbon module that
 * keeps every line it handed on (the oracle of "sent"), with the time it did.
 */
export interface RecordedLine {
  path: string;
  value: number;
  timestamp: number;
  /** Milliseconds since the epoch when the relay wrote it to the module. */
  at: number;
}

export class RecordingRelay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  readonly lines: RecordedLine[] = [];
  port = 0;

  constructor(private readonly targetPort: number) {}

  async start(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Lines of one path, timestamp → value (the first one of a second wins, as the module keeps it). */
  series(path: string, from: number, until: number): Map<number, number> {
    const out = new Map<number, number>();
    for (const line of this.lines)
      if (line.path === path && line.timestamp >= from && line.timestamp <= until && !out.has(line.timestamp))
        out.set(line.timestamp, line.value);
    return out;
  }

  paths(): string[] {
    return [...new Set(this.lines.map((l) => l.path))].sort();
  }

  private accept(client: Socket): void {
    const upstream = connect(this.targetPort, '127.0.0.1');
    let pending = '';
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      const text = pending + chunk.toString('latin1');
      const end = text.lastIndexOf('\n');
      pending = text.slice(end + 1);
      if (end < 0) return;
      const complete = text.slice(0, end + 1);
      upstream.write(complete, (error) => {
        if (error) return;
        const at = Date.now();
        for (const line of complete.split('\n')) {
          const [path, value, timestamp] = line.trim().split(/\s+/);
          // collectd sends `nan` for a rate it cannot compute yet (first reading): carbon drops those, so does the module.
          if (path && value !== undefined && timestamp !== undefined && !Number.isNaN(Number(value)))
            this.lines.push({ path, value: Number(value), timestamp: Math.floor(Number(timestamp)), at });
        }
      });
    });
  }
}

/** collectd in the foreground: cpu, load, memory and interface (lo) every second, write_graphite over TCP. */
export class Collectd {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'numeter-collectd-'));
  output = '';

  constructor(
    private readonly hostname: string,
    private readonly port: number,
  ) {}

  start(): void {
    const conf = join(this.dir, 'collectd.conf');
    writeFileSync(
      conf,
      [
        `Hostname "${this.hostname}"`,
        'FQDNLookup false',
        'Interval 1',
        `BaseDir "${this.dir}"`,
        `PIDFile "${join(this.dir, 'collectd.pid')}"`,
        'TypesDB "/usr/share/collectd/types.db"',
        'LoadPlugin load',
        'LoadPlugin memory',
        'LoadPlugin cpu',
        'LoadPlugin interface',
        'LoadPlugin write_graphite',
        '<Plugin interface>',
        '  Interface "lo"',
        '</Plugin>',
        '<Plugin write_graphite>',
        '  <Node "numeter">',
        '    Host "127.0.0.1"',
        `    Port "${this.port}"`,
        '    Protocol "tcp"',
        '    LogSendErrors true',
        '    StoreRates true',
        '    EscapeCharacter "_"',
        '  </Node>',
        '</Plugin>',
        '',
      ].join('\n'),
    );
    const child = spawn('/usr/sbin/collectd', ['-f', '-C', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d) => (this.output += d));
    child.stderr?.on('data', (d) => (this.output += d));
    this.child = child;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
