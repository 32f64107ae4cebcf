import { readdirSync, statSync } from 'node:fs';
import type { Logger } from '../../../../../common/logging/index.js';
import type { CentralNode } from './central.js';
import { centralNodes, type NodeListResult, type NodeListSettings } from './node-list.js';

/**
 * Re-reads munin.conf while the poller runs, so nodes added to or removed from Munin's
 * configuration are polled without a restart: at each poll, when one of the files read
 * (munin.conf, each includedir file) or an includedir's listing changed, or after a
 * SIGHUP. A new read that brings a problem the last good read did not have (a typo in a
 * new section, an unreadable file) is refused: its problems are logged with file and
 * line and the nodes of the last good read are still polled, until the next change.
 */
export interface HangupSource {
  on(listener: () => void): void;
  off(listener: () => void): void;
}

/** The process's SIGHUP (listening also keeps node from exiting on it). */
export const processHangup: HangupSource = {
  on: (listener) => process.on('SIGHUP', listener),
  off: (listener) => process.off('SIGHUP', listener),
};

export class MuninConfReloader {
  private signature: string;
  private accepted: Set<string>;
  private watched: NodeListResult['watched'];
  private hangup = false;
  private readonly onHangup = () => {
    this.hangup = true;
  };
  readonly counters = { reloads: 0, refused: 0 };

  constructor(
    private readonly settings: NodeListSettings,
    initial: NodeListResult,
    private readonly logger: Logger,
    private readonly hangups: HangupSource = processHangup,
  ) {
    this.watched = initial.watched;
    this.signature = signatureOf(initial.watched);
    this.accepted = new Set(initial.problems);
    hangups.on(this.onHangup);
  }

  /** The nodes to poll from now on, or null: nothing changed, or the new read was refused. */
  check(): CentralNode[] | null {
    const hangup = this.hangup;
    if (!hangup && signatureOf(this.watched) === this.signature) return null;
    this.hangup = false;
    const read = centralNodes(this.settings);
    this.watched = read.watched;
    this.signature = signatureOf(read.watched);
    const fresh = read.problems.filter((problem) => !this.accepted.has(problem));
    if (fresh.length) {
      this.counters.refused++;
      for (const problem of fresh) this.logger.warn({ reason: problem }, 'munin node list problem');
      this.logger.warn(
        { problems: fresh.length, file: this.settings.munin_conf },
        'munin.conf reload refused: new problems; the nodes of the last good read are still polled',
      );
      return null;
    }
    this.counters.reloads++;
    this.accepted = new Set(read.problems);
    this.logger.info({ nodes: read.nodes.length, hangup, file: this.settings.munin_conf }, 'munin.conf re-read');
    return read.nodes;
  }

  stop(): void {
    this.hangups.off(this.onHangup);
  }
}

/** Each file's identity, size and mtime, and each includedir's own and its listing. */
function signatureOf(watched: NodeListResult['watched']): string {
  const parts: string[] = [];
  for (const path of [...watched.files, ...watched.directories]) {
    try {
      const stat = statSync(path, { bigint: true });
      parts.push(`${path}\t${stat.ino}\t${stat.size}\t${stat.mtimeNs}\t${stat.ctimeNs}`);
    } catch (error) {
      parts.push(`${path}\t!${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  for (const dir of watched.directories) {
    try {
      parts.push(`${dir}/\t${readdirSync(dir).sort().join('\t')}`);
    } catch {
      // Its stat above already says it is gone.
    }
  }
  return parts.join('\n');
}
