/**
 * The listener's series by path, looked up with the path given as a range of the received
 * text and its hash (line.ts), so a known path costs no string and no garbage: the lines of
 * a busy carbon port are nearly all known paths. A bucket holds at most MAX_CHAIN paths (a
 * client sending colliding paths on purpose cannot make a lookup long; the hash is also
 * seeded per process); a path that does not fit is looked up by the caller as a string.
 */
const MAX_CHAIN = 8;

interface Entry<T> {
  path: string;
  value: T;
  next: Entry<T> | undefined;
}

export class PathTable<T> {
  private readonly buckets = new Map<number, Entry<T>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(text: string, start: number, end: number, hash: number): T | undefined {
    const length = end - start;
    for (let entry = this.buckets.get(hash); entry; entry = entry.next) {
      if (entry.path.length === length && text.startsWith(entry.path, start)) return entry.value;
    }
    return undefined;
  }

  /** False when the path's bucket is full (the caller keeps it elsewhere). */
  set(path: string, hash: number, value: T): boolean {
    const head = this.buckets.get(hash);
    let chain = 0;
    for (let entry = head; entry; entry = entry.next) {
      if (entry.path === path) {
        entry.value = value;
        return true;
      }
      chain++;
    }
    if (chain >= MAX_CHAIN) return false;
    this.buckets.set(hash, { path, value, next: head });
    this.count++;
    return true;
  }

  clear(): void {
    this.buckets.clear();
    this.count = 0;
  }
}
