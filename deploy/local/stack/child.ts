import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * One service of the stack as a child process of its built `dist/` entry point. Output
 * goes to a log file (pino JSON lines); `stop()` sends SIGTERM and waits up to a deadline
 * before SIGKILL, `kill9()` simulates a crash, `restart()` starts the same command again.
 */
export class ChildStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ChildStartError';
  }
}

/** Children still running; if the stack itself exits abruptly they get a SIGTERM, never orphaned silently. */
const LIVE = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of LIVE) child.kill('SIGTERM');
});

export interface ChildSpec {
  /** Short name shown in progress lines and used for the log file. */
  name: string;
  /** Script run with `node` (absolute path of a dist entry point). */
  script: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  logFile: string;
  cwd?: string;
  /** Modules preloaded with `node --import` (the parent watch). */
  preload?: string[];
  /** Options for node itself, before the script (e.g. common/testing's `launcherFlags(script)`: the service's shebang flags). */
  nodeFlags?: string[];
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ServiceChild {
  private child: ChildProcess | undefined;
  private log: WriteStream | undefined;
  private exited: Promise<ExitInfo> = Promise.resolve({ code: 0, signal: null });
  /** Set by the last exit, undefined while running. */
  lastExit: ExitInfo | undefined;
  /** Called when the process exits without stop() having been asked (a crash). */
  onUnexpectedExit: ((info: ExitInfo) => void) | undefined;
  private stopping = false;

  constructor(readonly spec: ChildSpec) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.lastExit === undefined;
  }

  start(): void {
    if (this.running) return;
    mkdirSync(dirname(this.spec.logFile), { recursive: true });
    this.log = createWriteStream(this.spec.logFile, { flags: 'a' });
    this.log.write(`--- ${new Date().toISOString()} start ${this.spec.name}: node ${this.spec.script} ${this.spec.args.join(' ')}\n`);
    this.stopping = false;
    this.lastExit = undefined;
    const preload = (this.spec.preload ?? []).flatMap((file) => ['--import', pathToFileURL(file).href]);
    const child = spawn(process.execPath, [...(this.spec.nodeFlags ?? []), ...preload, this.spec.script, ...this.spec.args], {
      cwd: this.spec.cwd,
      env: { ...process.env, NUMETER_STACK_PARENT_PID: String(process.pid), ...this.spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a Ctrl-C in the terminal reaches the stack only, which then
      // stops the services one by one in reverse order.
      detached: true,
    });
    this.child = child;
    LIVE.add(child);
    child.once('exit', () => LIVE.delete(child));
    const log = this.log;
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        const info = { code, signal };
        this.lastExit = info;
        log.write(`--- ${new Date().toISOString()} exit ${this.spec.name}: code ${code} signal ${signal}\n`);
        if (!this.stopping) this.onUnexpectedExit?.(info);
        resolve(info);
      });
      child.once('error', (error) => {
        const info = { code: -1, signal: null };
        this.lastExit = info;
        log.write(`--- spawn error: ${error.message}\n`);
        resolve(info);
      });
    });
  }

  /** Resolves when the process has exited (at once if it is not running). */
  waitForExit(): Promise<ExitInfo> {
    return this.exited;
  }

  /** SIGTERM, wait up to `deadlineMs`, then SIGKILL. Idempotent. */
  async stop(deadlineMs = 20_000): Promise<ExitInfo> {
    if (!this.running || !this.child) return this.lastExit ?? { code: 0, signal: null };
    this.stopping = true;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.child?.kill('SIGKILL');
        resolve();
      }, deadlineMs);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    const info = await this.exited;
    await this.closeLog();
    return info;
  }

  /** A crash: SIGKILL, no chance to flush. */
  async kill9(): Promise<ExitInfo> {
    if (!this.running || !this.child) return this.lastExit ?? { code: 0, signal: null };
    this.stopping = true;
    this.child.kill('SIGKILL');
    const info = await this.exited;
    await this.closeLog();
    return info;
  }

  async restart(deadlineMs?: number): Promise<void> {
    await this.stop(deadlineMs);
    this.start();
  }

  private async closeLog(): Promise<void> {
    const log = this.log;
    this.log = undefined;
    if (log) await new Promise<void>((resolve) => log.end(resolve));
  }
}

/** Values following these options are secrets: never shown in an error message. */
const SECRET_ARGUMENT = /(\s(?:-p|-w|-t|--password|--token))\s+\S+/g;

/** Runs a command to completion (a webapp CLI command); rejects with its output when it fails. */
export function runCommand(script: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new ChildStartError(`cannot run ${script}: ${error.message}`, { cause: error }));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else
        reject(
          new ChildStartError(
            `${script.split('/').slice(-3).join('/')} ${args.join(' ')} failed (code ${code}${signal ? `, ${signal}` : ''}): ${(err || out).trim().slice(-2000)}`.replace(
              SECRET_ARGUMENT,
              '$1 ********',
            ),
          ),
        );
    });
  });
}
