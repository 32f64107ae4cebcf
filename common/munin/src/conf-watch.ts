import { readdirSync, statSync } from 'node:fs';

/**
 * Noticing that munin.conf changed, for whoever re-reads it while running (the poller's node
 * list, the alerting engine's threshold overrides): a file read (munin.conf, each includedir
 * file) or an includedir's listing changed, or the process got a SIGHUP. Cheap to ask often:
 * a stat per file, a listing per includedir, nothing read.
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

/** What one read of munin.conf looked at (MuninConf's `files` and `directories`). */
export interface WatchedFiles {
  files: string[];
  directories: string[];
}

export class MuninConfWatch {
  private signature: string;
  private hangup = false;
  private readonly onHangup = () => {
    this.hangup = true;
  };

  constructor(
    private watched: WatchedFiles,
    private readonly hangups: HangupSource = processHangup,
  ) {
    this.signature = filesSignature(watched);
    hangups.on(this.onHangup);
  }

  /** Whether to read again: a SIGHUP came or a watched file changed since the last `readAgain`. */
  changed(): { changed: boolean; hangup: boolean } {
    const hangup = this.hangup;
    return { changed: hangup || filesSignature(this.watched) !== this.signature, hangup };
  }

  /** After a new read: watch what it looked at, from how they are now. */
  readAgain(watched: WatchedFiles): void {
    this.hangup = false;
    this.watched = watched;
    this.signature = filesSignature(watched);
  }

  stop(): void {
    this.hangups.off(this.onHangup);
  }
}

/** Each file's identity, size and mtime, and each includedir's own and its listing. */
export function filesSignature(watched: WatchedFiles): string {
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
