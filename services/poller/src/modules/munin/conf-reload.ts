import type { Logger } from '../../../../../common/logging/index.js';
import { type HangupSource, MuninConfWatch, processHangup } from '../../../../../common/munin/index.js';
import type { CentralNode } from './central.js';
import { centralNodes, type NodeListResult, type NodeListSettings } from './node-list.js';

/** Shared with the alerting engine, which re-reads munin.conf's threshold overrides the same way. */
export { type HangupSource, processHangup } from '../../../../../common/munin/index.js';

/**
 * Re-reads munin.conf while the poller runs, so nodes added to or removed from Munin's
 * configuration are polled without a restart: at each poll, when one of the files read
 * (munin.conf, each includedir file) or an includedir's listing changed, or after a
 * SIGHUP. A new read that brings a problem the last good read did not have (a typo in a
 * new section, an unreadable file) is refused: its problems are logged with file and
 * line and the nodes of the last good read are still polled, until the next change.
 */
export class MuninConfReloader {
  private accepted: Set<string>;
  private readonly watch: MuninConfWatch;
  readonly counters = { reloads: 0, refused: 0 };

  constructor(
    private readonly settings: NodeListSettings,
    initial: NodeListResult,
    private readonly logger: Logger,
    hangups: HangupSource = processHangup,
  ) {
    this.watch = new MuninConfWatch(initial.watched, hangups);
    this.accepted = new Set(initial.problems);
  }

  /** The nodes to poll from now on, or null: nothing changed, or the new read was refused. */
  check(): CentralNode[] | null {
    const { changed, hangup } = this.watch.changed();
    if (!changed) return null;
    const read = centralNodes(this.settings);
    this.watch.readAgain(read.watched);
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
    this.watch.stop();
  }
}
