import { execFile } from 'node:child_process';

export class VirshError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VirshError';
  }
}

/** Runs `virsh` with arguments and returns its stdout; injectable so tests can replay recorded output. */
export type VirshRunner = (args: string[]) => Promise<string>;

/**
 * The real runner: execFile (no shell, so VM names never reach a shell), `-c URI`,
 * `-q` (no headers), LC_ALL=C so numbers and states are not localised, a timeout
 * shorter than the poll interval and a bounded output size.
 */
export function virshRunner(options: { binary?: string; uri: string; timeoutMs: number }): VirshRunner {
  const binary = options.binary ?? 'virsh';
  return (args) =>
    new Promise((resolve, reject) => {
      execFile(
        binary,
        ['-c', options.uri, '-q', ...args],
        { timeout: options.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } },
        (error, stdout, stderr) => {
          if (error) {
            const detail = String(stderr).trim().split('\n').filter(Boolean).pop() ?? error.message;
            reject(new VirshError(`virsh ${args[0]} failed: ${detail.slice(0, 300)}`, { cause: error }));
          } else resolve(String(stdout));
        },
      );
    });
}

/** `domstats --raw`: `Domain: 'name'` then indented `key=value` lines. */
export function parseDomstats(text: string): Map<string, Map<string, string>> {
  const domains = new Map<string, Map<string, string>>();
  let current: Map<string, string> | null = null;
  for (const line of text.split('\n')) {
    const header = /^Domain: '(.*)'\s*$/.exec(line);
    if (header) {
      current = new Map();
      domains.set(header[1], current);
      continue;
    }
    const pair = /^\s+([^=\s]+)=(.*)$/.exec(line);
    if (pair && current) current.set(pair[1], pair[2]);
  }
  return domains;
}

/** `list --all --uuid --name`: `<uuid> <name>` per line (names may contain spaces). */
export function parseUuidNameList(text: string): Array<{ uuid: string; name: string }> {
  const out: Array<{ uuid: string; name: string }> = [];
  for (const line of text.split('\n')) {
    const match = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\s+(.+)$/i.exec(line.trim());
    if (match) out.push({ uuid: match[1].toLowerCase(), name: match[2] });
  }
  return out;
}

/** `dominfo`/`nodeinfo`: `Key:   value` lines. */
export function parseColonList(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const index = line.indexOf(':');
    if (index > 0) out.set(line.slice(0, index).trim(), line.slice(index + 1).trim());
  }
  return out;
}

/** `domblkstat`/`domifstat`/`dommemstat`: `[device] key value` lines. */
export function parseStatLines(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 2) continue;
    const value = Number(parts[parts.length - 1]);
    if (Number.isFinite(value)) out.set(parts[parts.length - 2], value);
  }
  return out;
}

/** `domiflist`/`domblklist` without headers: the column `column` of every row. */
export function parseTableColumn(text: string, column: number): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !/^-+$/.test(line))
    .map((line) => line.split(/\s+/)[column])
    .filter((value): value is string => Boolean(value) && value !== '-');
}

/** `2097152 KiB` → bytes. */
export function parseKib(value: string | undefined): number | null {
  const match = /^(\d+)\s*KiB$/.exec(value ?? '');
  return match ? Number(match[1]) * 1024 : null;
}
