import { Socket } from 'node:net';

/**
 * One TCP session with a munin-node (protocol: docs/poller.md, reference munin.md §1).
 * Single-line replies (banner, cap, list) and multi-line ones ending with `.` (nodes,
 * config, fetch). Every read has a deadline; a line longer than `maxLineLength`, a
 * response longer than `maxLines`, EOF mid-response or a timeout break the session
 * (framing is lost), and the caller reconnects.
 */
export type MuninErrorCode = 'connect' | 'timeout' | 'closed' | 'protocol' | 'limit';

export class MuninNodeError extends Error {
  constructor(
    readonly code: MuninErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MuninNodeError';
  }
}

export interface SessionOptions {
  host: string;
  port: number;
  connectTimeoutMs: number;
  readTimeoutMs: number;
  maxLineLength: number;
  maxLines: number;
}

/** The whole response was one of munin-node's in-band plugin errors. */
export const PLUGIN_ERRORS = new Set(['# Unknown service', '# Bad exit', '# Timed out']);

export type PluginResponse = { ok: true; lines: string[] } | { ok: false; error: string };

export class MuninSession {
  private readonly lines: string[] = [];
  private partial = '';
  private failure: MuninNodeError | null = null;
  private wake: (() => void) | null = null;
  nodeName = '';

  private constructor(
    private readonly socket: Socket,
    private readonly options: SessionOptions,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('end', () => this.fail(new MuninNodeError('closed', 'munin-node closed the connection')));
    socket.on('error', (error) => this.fail(new MuninNodeError('closed', `connection error: ${error.message}`, { cause: error })));
    socket.on('close', () => this.fail(new MuninNodeError('closed', 'connection closed')));
  }

  /** Connects and reads the banner `# munin node at NAME`. */
  static async open(options: SessionOptions): Promise<MuninSession> {
    const socket = await connect(options);
    const session = new MuninSession(socket, options);
    try {
      const banner = await session.readLine(Date.now() + options.readTimeoutMs, 'banner');
      const match = /^#.*(?:lrrd|munin) (?:client|node) at (\S+)/i.exec(banner);
      if (!match) throw new MuninNodeError('protocol', `not a munin-node: banner ${JSON.stringify(banner.slice(0, 80))}`);
      session.nodeName = match[1];
      return session;
    } catch (error) {
      session.close();
      throw error;
    }
  }

  get broken(): boolean {
    return this.failure !== null;
  }

  /** Sends `cap`; returns the capabilities both sides have. */
  async cap(wanted: readonly string[]): Promise<Set<string>> {
    const line = await this.single(`cap ${wanted.join(' ')}`);
    const offered = line.startsWith('cap ') ? line.slice(4).split(/\s+/) : [];
    return new Set(wanted.filter((cap) => offered.includes(cap)));
  }

  async list(node?: string): Promise<string[]> {
    const line = await this.single(node ? `list ${node}` : 'list');
    return line.split(/\s+/).filter(Boolean);
  }

  async nodes(): Promise<string[]> {
    const lines = await this.multi('nodes');
    return lines.filter((line) => line && !line.startsWith('#'));
  }

  async config(plugin: string): Promise<PluginResponse> {
    return toPluginResponse(await this.multi(`config ${plugin}`));
  }

  async fetch(plugin: string): Promise<PluginResponse> {
    return toPluginResponse(await this.multi(`fetch ${plugin}`));
  }

  /** Says goodbye politely and closes; never throws. */
  close(): void {
    if (!this.socket.destroyed) {
      if (!this.failure) this.socket.end('quit\n');
      this.socket.destroy();
    }
    this.fail(new MuninNodeError('closed', 'session closed'));
  }

  private async single(command: string): Promise<string> {
    this.send(command);
    return this.readLine(Date.now() + this.options.readTimeoutMs, command);
  }

  private async multi(command: string): Promise<string[]> {
    this.send(command);
    const deadline = Date.now() + this.options.readTimeoutMs;
    const out: string[] = [];
    for (;;) {
      const line = await this.readLine(deadline, command);
      if (line === '.') return out;
      if (out.length >= this.options.maxLines) {
        this.breakWith(new MuninNodeError('limit', `${command}: more than ${this.options.maxLines} lines`));
        throw this.failure;
      }
      out.push(line);
    }
  }

  private send(command: string): void {
    if (this.failure) throw this.failure;
    this.socket.write(`${command}\n`);
  }

  private async readLine(deadline: number, what: string): Promise<string> {
    for (;;) {
      const line = this.lines.shift();
      if (line !== undefined) return line;
      if (this.failure) throw this.failure;
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        this.breakWith(new MuninNodeError('timeout', `${what}: no answer within ${this.options.readTimeoutMs} ms`));
        throw this.failure;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  private receive(chunk: string): void {
    let text = this.partial + chunk;
    let tooLong = false;
    let newline = text.indexOf('\n');
    while (newline >= 0) {
      const line = text.slice(0, newline);
      tooLong ||= line.length > this.options.maxLineLength;
      this.lines.push(line.endsWith('\r') ? line.slice(0, -1) : line);
      text = text.slice(newline + 1);
      newline = text.indexOf('\n');
    }
    this.partial = text;
    if (tooLong || this.partial.length > this.options.maxLineLength) {
      this.lines.length = 0;
      this.partial = '';
      this.breakWith(new MuninNodeError('limit', `a line longer than ${this.options.maxLineLength} characters`));
    }
    this.wake?.();
  }

  private breakWith(error: MuninNodeError): void {
    this.fail(error);
    this.socket.destroy();
  }

  private fail(error: MuninNodeError): void {
    this.failure ??= error;
    this.wake?.();
  }
}

function toPluginResponse(lines: string[]): PluginResponse {
  if (lines.length === 1 && PLUGIN_ERRORS.has(lines[0])) return { ok: false, error: lines[0] };
  return { ok: true, lines };
}

function connect(options: SessionOptions): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new MuninNodeError('connect', `cannot connect to ${options.host}:${options.port}: no answer within ${options.connectTimeoutMs} ms`),
      );
    }, options.connectTimeoutMs);
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(new MuninNodeError('connect', `cannot connect to ${options.host}:${options.port}: ${error.message}`, { cause: error }));
    });
    socket.connect(options.port, options.host, () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}
