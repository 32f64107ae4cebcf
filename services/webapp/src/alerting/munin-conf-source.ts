import { type HangupSource, MuninConfWatch, processHangup } from '../../../../common/munin/index.js';
import type { AlertSeries } from '../../../../common/schemas/index.js';
import { muninConfOverrides } from './engine/munin-conf-overrides.js';
import type { ThresholdText } from './engine/munin-thresholds.js';

export type Overrides = Array<{ series: AlertSeries } & ThresholdText>;

/**
 * munin.conf's threshold overrides, read at start and again when the file (or an included
 * one, or an includedir's listing) changes or the process gets a SIGHUP — the watch the
 * poller's munin module uses for its node list (common/munin conf-watch.ts). As there, a
 * re-read that brings a problem the last good read did not have (a typo being typed, an
 * unreadable file) is refused and the overrides of the last good read stay, so a half-saved
 * munin.conf never silences every override.
 */
export class MuninConfSource {
  private watch?: MuninConfWatch;
  private accepted = new Set<string>();
  readonly counters = { reads: 0, refused: 0 };

  constructor(
    private readonly file: string,
    private readonly hostIdFormat: string,
    private readonly report: (problem: string) => void,
    private readonly hangups: HangupSource = processHangup,
  ) {}

  /** The first read: its overrides, whatever problems it has (each reported). */
  readFirst(): Overrides {
    const read = muninConfOverrides(this.file, this.hostIdFormat);
    this.watch?.stop();
    this.watch = new MuninConfWatch(read.watched, this.hangups);
    for (const problem of read.problems) this.report(problem);
    this.accepted = new Set(read.problems);
    this.counters.reads++;
    return read.overrides;
  }

  /** The overrides after a change, or null: nothing changed, or the new read was refused. */
  readIfChanged(): { overrides: Overrides; hangup: boolean } | null {
    if (!this.watch) return { overrides: this.readFirst(), hangup: false };
    const { changed, hangup } = this.watch.changed();
    if (!changed) return null;
    const read = muninConfOverrides(this.file, this.hostIdFormat);
    this.watch.readAgain(read.watched);
    const fresh = read.problems.filter((problem) => !this.accepted.has(problem));
    if (fresh.length) {
      this.counters.refused++;
      for (const problem of fresh) this.report(problem);
      this.report(`${this.file}: re-read refused (new problems); the overrides of the last good read stay`);
      return null;
    }
    this.accepted = new Set(read.problems);
    this.counters.reads++;
    return { overrides: read.overrides, hangup };
  }

  stop(): void {
    this.watch?.stop();
    this.watch = undefined;
  }
}
