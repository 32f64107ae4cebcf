/**
 * Emulation of CPython 3.11's set iteration order for non-negative integers (hash(i) == i).
 *
 * Why: when update_many() propagates into an *empty* lower archive, the reference uses
 * `for interval in set(intervals)` and the first interval that propagates becomes that
 * archive's base slot. Reproducing the order makes our files byte-identical to the
 * reference's, not just identical in content (whisper.md §7.4). Only used on that
 * rare path; the steady state writes in ascending order, which gives the same bytes.
 *
 * Mirrors Objects/setobject.c: 8-slot initial table, LINEAR_PROBES = 9, PERTURB_SHIFT = 5,
 * resize when fill*5 >= mask*3 to the smallest power of two > used*4 (used*2 above 50000).
 */
const EMPTY = -1;
const LINEAR_PROBES = 9;

let table = new Float64Array(8).fill(EMPTY);

function insertClean(t: Float64Array, mask: number, h: number): void {
  let perturb = h;
  let i = h % (mask + 1); // == h & mask for h < 2^53 and mask = 2^k - 1
  for (;;) {
    if (t[i] === EMPTY) {
      t[i] = h;
      return;
    }
    if (i + LINEAR_PROBES <= mask) {
      for (let j = 1; j <= LINEAR_PROBES; j++) {
        if (t[i + j] === EMPTY) {
          t[i + j] = h;
          return;
        }
      }
    }
    perturb = Math.floor(perturb / 32);
    i = (i * 5 + 1 + perturb) % (mask + 1);
  }
}

/**
 * Writes into `out` the distinct values of `values[0..n)` in the order CPython's
 * `list(set(values))` yields them; returns how many there are. Values must be
 * non-negative integers below 2^53.
 */
export function cpythonSetOrder(values: ArrayLike<number>, n: number, out: Float64Array): number {
  let size = 8;
  if (table.length < size) table = new Float64Array(size);
  table.fill(EMPTY, 0, size);
  let mask = size - 1;
  let fill = 0;
  for (let k = 0; k < n; k++) {
    const h = values[k];
    let perturb = h;
    let i = h % (mask + 1);
    let inserted = false;
    search: for (;;) {
      const probes = i + LINEAR_PROBES <= mask ? LINEAR_PROBES : 0;
      for (let j = 0; j <= probes; j++) {
        const e = table[i + j];
        if (e === EMPTY) {
          table[i + j] = h;
          inserted = true;
          break search;
        }
        if (e === h) break search;
      }
      perturb = Math.floor(perturb / 32);
      i = (i * 5 + 1 + perturb) % (mask + 1);
    }
    if (!inserted) continue;
    fill++;
    if (fill * 5 >= mask * 3) {
      const minUsed = fill > 50000 ? fill * 2 : fill * 4;
      let newSize = 8;
      while (newSize <= minUsed) newSize *= 2;
      const next = new Float64Array(Math.max(newSize, table.length)).fill(EMPTY, 0, newSize);
      for (let s = 0; s <= mask; s++) if (table[s] !== EMPTY) insertClean(next, newSize - 1, table[s]);
      table = next;
      size = newSize;
      mask = size - 1;
    }
  }
  let m = 0;
  for (let s = 0; s <= mask; s++) if (table[s] !== EMPTY) out[m++] = table[s];
  return m;
}
