/**
 * Child process of spool-kill.test.ts: appends to a spool in a loop and prints
 * `appended <last id>` after each append resolved, until it is killed.
 * Usage: node --import tsx spool-kill-child.ts <dir> <fsync: always|never|ms>
 */
import type { DataMessage } from '../../../common/schemas/index.js';
import { Spool } from '../src/spool/index.js';

const [dir, fsyncArg] = process.argv.slice(2);
const fsync = fsyncArg === 'always' || fsyncArg === 'never' ? fsyncArg : Number(fsyncArg);
/** Big messages (about 60 KB each) make the kill land inside a write more often. */
const values = Object.fromEntries(Array.from({ length: 900 }, (_, i) => [`field_with_a_long_name_${i}`, i * 1.5]));
const message = (id: number): DataMessage => ({
  v: 1,
  kind: 'data',
  hostId: 'host-kill',
  points: [{ plugin: 'big', timestamp: 1_700_000_000 + id, values }],
});

const spool = new Spool({ dir, fsync, segmentBytes: 1 << 20, maxBytes: 1 << 30 });
await spool.start();
process.stdout.write('ready\n');
let next = 0;
for (;;) {
  const batch = Array.from({ length: 1 + (next % 3) }, (_, i) => message(next + i));
  await spool.append(batch);
  next += batch.length;
  process.stdout.write(`appended ${next - 1}\n`);
}
