import { execFile } from 'node:child_process';
import { connect } from 'node:net';

/** One batch of probes to one peer: round trips in ms of those answered, and how many were sent. */
export interface ProbeResult {
  rttsMs: number[];
  sent: number;
  /** Why probes failed (the last reason), for the error line. */
  failure?: string;
}

/**
 * TCP connect time: SYN → SYN/ACK as seen by connect(), the closest a process gets to
 * a round trip without raw sockets. Refused and timed-out connections count as lost.
 * Attempts to one peer run one after another so a peer never sees a burst.
 */
export async function probeTcp(
  host: string,
  port: number,
  attempts: number,
  timeoutMs: number,
  clock: () => number = now,
): Promise<ProbeResult> {
  const result: ProbeResult = { rttsMs: [], sent: attempts };
  for (let i = 0; i < attempts; i++) {
    try {
      result.rttsMs.push(await connectOnce(host, port, timeoutMs, clock));
    } catch (error) {
      result.failure = (error as Error).message;
    }
  }
  return result;
}

function connectOnce(host: string, port: number, timeoutMs: number, clock: () => number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = clock();
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      const elapsed = clock() - started;
      clearTimeout(timer);
      socket.destroy();
      resolve(elapsed);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new Error(error.code === 'ECONNREFUSED' ? 'connection refused' : (error.code ?? error.message)));
    });
  });
}

/** `ping` summary lines (iputils and busybox): transmitted/received counts and the average. */
export function parsePingOutput(text: string): { sent: number; received: number; avgMs: number | null } | null {
  const counts = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(text);
  if (!counts) return null;
  const rtt = /= [\d.]+\/([\d.]+)\/[\d.]+/.exec(text);
  return { sent: Number(counts[1]), received: Number(counts[2]), avgMs: rtt ? Number(rtt[1]) : null };
}

export class PingUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PingUnavailableError';
  }
}

/**
 * ICMP echo through the system's `ping` (no raw sockets in Node, and the binary has the
 * capability or the ping_group_range setting the system grants). 0.2 s apart, the
 * shortest interval iputils allows an unprivileged user; the whole run is bounded.
 */
export function probeIcmp(binary: string, host: string, attempts: number, timeoutMs: number): Promise<ProbeResult> {
  const waitSeconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  const args = ['-n', '-q', '-c', String(attempts), '-i', '0.2', '-W', String(waitSeconds), '--', host];
  return new Promise((resolve, reject) => {
    execFile(
      binary,
      args,
      { timeout: attempts * 200 + waitSeconds * 1000 + 1000, killSignal: 'SIGKILL', env: { ...process.env, LC_ALL: 'C' } },
      (error, stdout, stderr) => {
        const summary = parsePingOutput(String(stdout));
        if (summary) {
          const lost = summary.sent - summary.received;
          // ping reports the average only; every answered probe is taken at that average.
          resolve({
            rttsMs: summary.avgMs === null ? [] : Array(summary.received).fill(summary.avgMs),
            sent: summary.sent,
            ...(lost > 0 && { failure: `${lost} of ${summary.sent} echo requests unanswered` }),
          });
          return;
        }
        const reason = String(stderr).trim().split('\n').pop() || (error as NodeJS.ErrnoException | null)?.code || 'no summary';
        const code = (error as NodeJS.ErrnoException | null)?.code;
        if (code === 'ENOENT' || code === 'EACCES' || /permission|not permitted|socket/i.test(reason))
          reject(new PingUnavailableError(`ping unavailable: ${reason}`, { cause: error }));
        else resolve({ rttsMs: [], sent: attempts, failure: reason.slice(0, 200) });
      },
    );
  });
}

function now(): number {
  return performance.now();
}
