import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../../../../common/logging/index.js';
import type { LastReading } from './convert.js';

export class RateStateError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RateStateError';
  }
}

/**
 * The last raw reading of every counter, kept in a JSON file under the state directory
 * so rates continue across restarts (the original kept it in /dev/shm and lost it at
 * every reboot). Written atomically: temporary file, fsync, rename. Readings not
 * updated for `forgetAfterSeconds` are dropped so removed plugins do not pile up.
 */
export class RateStateFile {
  private readonly readings = new Map<string, LastReading>();
  private dirty = false;

  constructor(private readonly options: { file: string; logger: Logger; forgetAfterSeconds?: number }) {}

  static key(hostId: string, plugin: string, field: string): string {
    // Tabs cannot occur in a safe name, so the key is unambiguous.
    return `${hostId}\t${plugin}\t${field}`;
  }

  get size(): number {
    return this.readings.size;
  }

  get(key: string): LastReading | undefined {
    return this.readings.get(key);
  }

  apply(key: string, remember: LastReading | null | undefined): void {
    if (remember === undefined) return;
    if (remember === null) this.dirty = this.readings.delete(key) || this.dirty;
    else {
      this.readings.set(key, remember);
      this.dirty = true;
    }
  }

  /** Loads the file; a missing file is a first start, a damaged one is logged and ignored. */
  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.options.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new RateStateError(`cannot read rate state ${this.options.file}: ${(error as Error).message}`, { cause: error });
    }
    try {
      const parsed = JSON.parse(text) as { version?: number; readings?: Record<string, [number, number]> };
      for (const [key, pair] of Object.entries(parsed.readings ?? {})) {
        if (Array.isArray(pair) && Number.isFinite(pair[0]) && Number.isFinite(pair[1])) this.readings.set(key, { t: pair[0], v: pair[1] });
      }
    } catch (error) {
      this.options.logger.warn(
        { file: this.options.file, reason: (error as Error).message },
        'rate state file is damaged; counters start over',
      );
    }
  }

  /** Writes the file if anything changed. */
  async save(now: number): Promise<void> {
    const forgetBefore = now - (this.options.forgetAfterSeconds ?? 7 * 86400);
    for (const [key, reading] of this.readings) {
      if (reading.t < forgetBefore) {
        this.readings.delete(key);
        this.dirty = true;
      }
    }
    if (!this.dirty) return;
    const readings: Record<string, [number, number]> = {};
    for (const [key, reading] of this.readings) readings[key] = [reading.t, reading.v];
    await writeFileAtomic(this.options.file, JSON.stringify({ version: 1, readings }));
    this.dirty = false;
  }
}

/** Temporary file in the same directory, fsync, rename: readers see the old or the new file. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  const handle = await open(temporary, 'w', 0o644);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
}
