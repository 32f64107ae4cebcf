import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';

/**
 * Reads RRD files through Debian's `rrdtool` in pipe mode (`rrdtool -`): one long-lived
 * process answers `info` and `fetch` commands, each answer ending with `OK ...` or
 * `ERROR: ...`, so importing thousands of files costs no process per file. Commands
 * run one at a time; one that takes longer than `commandTimeoutMs` kills the process
 * (the next command starts a new one).
 */
export class RrdToolError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RrdToolError';
  }
}

export interface RraInfo {
  cf: string;
  rows: number;
  pdpPerRow: number;
  xff: number;
}

export interface RrdInfo {
  step: number;
  lastUpdate: number;
  dataSources: string[];
  rras: RraInfo[];
}

export interface RrdSeries {
  /** Time of the first value, as rrdtool prints it: the END of its interval. */
  firstEnd: number;
  step: number;
  /** null for unknown (NaN). */
  values: Array<number | null>;
}

export interface RrdToolOptions {
  binary?: string;
  commandTimeoutMs?: number;
}

const MAX_ANSWER_LINES = 1_000_000;

export class RrdTool {
  private child: ChildProcessWithoutNullStreams | null = null;
  private buffer = '';
  private waiting: { lines: string[]; resolve: (lines: string[]) => void; reject: (error: Error) => void } | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: RrdToolOptions = {}) {}

  async info(file: string): Promise<RrdInfo> {
    const lines = await this.command(`info ${quoted(file)}`);
    return parseInfo(file, lines);
  }

  /** `fetch FILE CF -r RES -s START -e END`. */
  async fetch(file: string, cf: string, resolution: number, start: number, end: number): Promise<RrdSeries> {
    const lines = await this.command(`fetch ${quoted(file)} ${cf} -r ${resolution} -s ${start} -e ${end}`);
    return parseFetch(file, lines);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.stdin.end('quit\n');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }

  private command(line: string): Promise<string[]> {
    const run = this.queue.then(() => this.send(line));
    this.queue = run.catch(() => {});
    return run;
  }

  private send(line: string): Promise<string[]> {
    const child = this.process();
    return new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new RrdToolError(`rrdtool: no answer to "${line.slice(0, 200)}" within ${this.timeoutMs()} ms`));
        child.kill('SIGKILL');
      }, this.timeoutMs());
      this.waiting = {
        lines: [],
        resolve: (lines) => {
          clearTimeout(timer);
          resolve(lines);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      child.stdin.write(`${line}\n`);
    });
  }

  private timeoutMs(): number {
    return this.options.commandTimeoutMs ?? 60_000;
  }

  private process(): ChildProcessWithoutNullStreams {
    if (this.child && this.child.exitCode === null && !this.child.killed) return this.child;
    const child = spawn(this.options.binary ?? 'rrdtool', ['-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.buffer = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.receive(chunk));
    child.stderr.on('data', () => {}); // its errors come on stdout as `ERROR:` lines
    child.on('error', (error) => this.fail(new RrdToolError(`cannot run rrdtool: ${error.message}`, { cause: error })));
    child.on('exit', () => {
      if (this.child === child) this.child = null;
      this.fail(new RrdToolError('rrdtool exited'));
    });
    child.stdin.on('error', () => {}); // reported through 'exit'
    this.child = child;
    return child;
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let newline = this.buffer.indexOf('\n');
    while (newline >= 0) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + 1);
      this.line(line);
      newline = this.buffer.indexOf('\n');
    }
  }

  private line(line: string): void {
    const waiting = this.waiting;
    if (!waiting) return;
    if (line.startsWith('OK ')) {
      this.waiting = null;
      waiting.resolve(waiting.lines);
    } else if (line.startsWith('ERROR:')) {
      this.waiting = null;
      waiting.reject(new RrdToolError(`rrdtool: ${line.slice(6).trim()}`));
    } else if (waiting.lines.length < MAX_ANSWER_LINES) {
      waiting.lines.push(line);
    }
  }

  private fail(error: Error): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.reject(error);
  }
}

/** rrdtool's pipe mode splits on white space and honours double quotes. */
function quoted(file: string): string {
  if (/["\n\r\\]/.test(file)) throw new RrdToolError(`file name ${JSON.stringify(file.slice(0, 200))} has a quote, backslash or newline`);
  return `"${file}"`;
}

function parseInfo(file: string, lines: string[]): RrdInfo {
  const values = new Map<string, string>();
  for (const line of lines) {
    const match = /^(\S+) = (.*)$/.exec(line);
    if (match) values.set(match[1], match[2].replace(/^"(.*)"$/, '$1'));
  }
  const number = (key: string): number => {
    const value = Number(values.get(key));
    if (!Number.isFinite(value)) throw new RrdToolError(`${file}: rrdtool info has no number for ${key}`);
    return value;
  };
  const dataSources = [...values.keys()].flatMap((key) => /^ds\[(.+)\]\.index$/.exec(key)?.[1] ?? []);
  const rras: RraInfo[] = [];
  for (let i = 0; values.has(`rra[${i}].cf`); i++) {
    rras.push({
      cf: values.get(`rra[${i}].cf`) as string,
      rows: number(`rra[${i}].rows`),
      pdpPerRow: number(`rra[${i}].pdp_per_row`),
      xff: number(`rra[${i}].xff`),
    });
  }
  return { step: number('step'), lastUpdate: number('last_update'), dataSources, rras };
}

function parseFetch(file: string, lines: string[]): RrdSeries {
  const times: number[] = [];
  const values: Array<number | null> = [];
  for (const line of lines) {
    const match = /^(\d+):\s+(\S+)/.exec(line);
    if (!match) continue;
    times.push(Number(match[1]));
    const value = Number(match[2]);
    values.push(Number.isFinite(value) ? value : null);
  }
  if (times.length === 0) throw new RrdToolError(`${file}: rrdtool fetch returned no rows`);
  const step = times.length > 1 ? times[1] - times[0] : 0;
  return { firstEnd: times[0], step, values };
}
