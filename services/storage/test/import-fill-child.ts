/**
 * Child of import-fill-crash.test.ts: fills the Whisper files named on the command line
 * (existing, empty, as the storage creates them) from a long Munin-shaped history, one
 * after the other, printing `ready` once before the first; the test kills it mid-fill.
 */
import { importRows, type RraRows } from '../src/import/whisper-import.js';

const [now, ...files] = [Number(process.argv[2]), ...process.argv.slice(3)];
const layout: Array<[number, number]> = [
  [300, 576],
  [1800, 432],
  [7200, 540],
  [86400, 450],
];
const rras: RraRows[] = layout.map(([resolution, rows]) => {
  const end = now - (now % resolution);
  const points = Array.from({ length: rows }, (_, i): [number, number | null] => {
    const t = end - (rows - i) * resolution;
    return [t, i % 17 === 0 ? null : 50 + Math.sin(t / 7000)];
  });
  return { resolution, rows, xff: 0.5, points };
});
process.stdout.write('ready\n');
for (;;) for (const file of files) importRows(file, rras, { now });
