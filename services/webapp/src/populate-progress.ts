import type { Logger } from '../../../common/logging/index.js';
import type { PopulateProgress } from './populate.js';

/** What the progress line is written to: a terminal gets it redrawn in place, anything else nothing. */
export interface ProgressOutput {
  isTTY?: boolean;
  write(text: string): unknown;
}

/** How often the terminal line is redrawn and a log line written (milliseconds). */
export const TERMINAL_EVERY_MS = 200;
export const LOG_EVERY_MS = 10_000;

/** `main: 4200/10000 hosts, 1100 unchanged, 0 failed, 12 retries, 523 hosts/s` */
export function progressLine(p: PopulateProgress): string {
  const rate = p.elapsedMs > 0 ? Math.round((p.hostsDone * 1000) / p.elapsedMs) : 0;
  return `${p.storage}: ${p.hostsDone}/${p.hostsTotal} hosts, ${p.hostsUnchanged} unchanged, ${p.hostsFailed} failed, ${p.retried} retries, ${rate} hosts/s`;
}

/**
 * The progress of `populate`: one line on a terminal, redrawn with `\r` at most every
 * TERMINAL_EVERY_MS (never on a pipe or a file, whose readers want the summary only), and a log
 * line every LOG_EVERY_MS and at the end of each storage. `done()` ends the terminal line.
 */
export function populateProgress(output: ProgressOutput, logger: Logger): { onProgress: (p: PopulateProgress) => void; done: () => void } {
  let drawnAt = Number.NEGATIVE_INFINITY;
  let loggedAt = 0;
  let width = 0;
  let drawn = false;
  const onProgress = (p: PopulateProgress) => {
    const last = p.hostsDone === p.hostsTotal;
    if (output.isTTY && (last || p.elapsedMs - drawnAt >= TERMINAL_EVERY_MS)) {
      const line = progressLine(p);
      // The last line of a storage stays, the next storage starts its own.
      output.write(`\r${line.padEnd(width)}${last ? '\n' : ''}`);
      width = last ? 0 : line.length;
      drawnAt = p.elapsedMs;
      drawn = !last;
    }
    if (last || p.elapsedMs - loggedAt >= LOG_EVERY_MS) {
      logger.info({ ...p }, `populate ${progressLine(p)}`);
      loggedAt = p.elapsedMs;
    }
  };
  const done = () => {
    if (drawn) output.write('\n');
    drawn = false;
    width = 0;
  };
  return { onProgress, done };
}
