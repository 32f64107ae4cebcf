import { spawn } from 'node:child_process';
import type { AlertNotification } from '../../../../../../common/schemas/src/alerts.js';
import { CommandExitError, SendError } from '../errors.js';
import { notificationText } from '../formats.js';
import { expandMuninTemplate, notificationScope } from '../munin-template.js';

/** What of a failing command's standard error is kept for its contact's last_error. */
const STDERR_BYTES = 500;

export interface CommandSettings {
  argv: string[];
  text?: string;
}

/**
 * Runs the contact's program (no shell: each argument is one argv entry even after its
 * munin template is expanded (munin-template.ts), so a host name cannot inject anything) with the text on stdin,
 * as munin-limits pipes it to `contact.X.command`. Standard output is ignored, as munin
 * closes it; a non-zero exit status is a failure naming the start of standard error. The
 * signal (timeout or stop) kills the process.
 */
export function runCommand(n: AlertNotification, settings: CommandSettings, signal: AbortSignal): Promise<void> {
  const scope = notificationScope(n);
  const argv = settings.argv.map((arg) => expandMuninTemplate(arg, scope));
  const text = settings.text === undefined ? notificationText(n) : `${munintext(expandMuninTemplate(settings.text, scope))}\n`;
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'ignore', 'pipe'], shell: false, signal, killSignal: 'SIGKILL' });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < STDERR_BYTES) stderr += chunk.slice(0, STDERR_BYTES - stderr.length);
    });
    // a program that exits without reading its input closes the pipe: its exit status says how it went
    child.stdin.on('error', () => {});
    child.stdin.end(text);
    child.on('error', (error) => {
      if ((error as NodeJS.ErrnoException).code === 'ABORT_ERR') return; // 'close' follows, reported below
      reject(new SendError(`cannot run ${argv[0]}`, false, { cause: error }));
    });
    child.on('close', (code, killedBy) => {
      if (code === 0) resolve();
      else reject(new CommandExitError(argv[0], code, killedBy, stderr.replace(/\s+/g, ' ').trim()));
    });
  });
}

/** Munin's texts write a newline and a tab as `\n` and `\t`. */
function munintext(text: string): string {
  return text.replace(/\\n/g, '\n').replace(/\\t/g, '\t');
}
