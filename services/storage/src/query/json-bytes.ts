/**
 * /render's JSON written as bytes into one growing buffer. An answer of 1,000 series x
 * 1 day is 1.44 M `[value,time]` pairs; as template strings joined per series it cost
 * ~0.6 µs a pair (a string per pair, then the joins, then the UTF-8 copy of the whole
 * text). Here timestamps and the usual values (integers, and decimals with up to six
 * digits after the point, which munin and collectd send) are written digit by digit; any
 * other value goes through String(), which is what JSON.stringify writes.
 */
const POWERS = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000];
/** Integers below this are exact in a double, so m / 10^k is the correctly rounded quotient. */
const EXACT = 1e15;
const ZERO = 48;
const SMALL = 0x7fffffff;
/** 10^i for the digit count of an integer. */
const TENS = Array.from({ length: 16 }, (_, i) => 10 ** i);

export class JsonBytes {
  private buf: Buffer;
  private pos = 0;

  /** `reuse`: a buffer whose bytes are no longer needed (an answer's slice already sent), used if big enough. */
  constructor(sizeHint = 64 * 1024, reuse?: Buffer) {
    const size = Math.max(1024, sizeHint);
    this.buf = reuse && reuse.length >= size ? reuse : Buffer.allocUnsafe(size);
  }

  /** The bytes written so far (a view, not a copy). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  get length(): number {
    return this.pos;
  }

  /** bytes[from, to) of `source` (a few bytes: copied here, cheaper than Buffer.copy's call). */
  copy(source: Uint8Array, from: number, to: number): void {
    this.reserve(to - from);
    const buf = this.buf;
    let at = this.pos;
    for (let i = from; i < to; i++) buf[at++] = source[i];
    this.pos = at;
  }

  /** Text known to be ASCII or not: written as UTF-8. */
  text(value: string): void {
    this.reserve(value.length * 3);
    this.pos += this.buf.write(value, this.pos, 'utf8');
  }

  byte(code: number): void {
    this.reserve(1);
    this.buf[this.pos++] = code;
  }

  /** A finite number as JSON writes it (the same value; for the usual values, the same text). */
  number(v: number): void {
    this.reserve(32);
    if ((v | 0) === v || (Number.isInteger(v) && Math.abs(v) < EXACT)) {
      this.integer(v);
      return;
    }
    if (Math.abs(v) < SMALL / POWERS[POWERS.length - 1]) {
      for (let k = 1; k < POWERS.length; k++) {
        const m = v * POWERS[k];
        const r = m | 0;
        if (r !== m) continue;
        // A trailing zero means a shorter form exists: leave it to String() (the shortest one).
        if (r / POWERS[k] !== v || r === ((r / 10) | 0) * 10) break;
        this.decimal(r, k);
        return;
      }
    }
    this.ascii(String(v));
  }

  private integer(v: number): void {
    // -0 is written 0, as JSON.stringify does.
    if (v < 0) {
      this.buf[this.pos++] = 45;
      v = -v;
    }
    this.digits(v, 0);
  }

  /** m × 10^-k with k digits after the point (m not a multiple of 10). */
  private decimal(m: number, k: number): void {
    if (m < 0) {
      this.buf[this.pos++] = 45;
      m = -m;
    }
    const whole = Math.floor(m / POWERS[k]);
    this.digits(whole, 0);
    this.buf[this.pos++] = 46;
    this.digits(m - whole * POWERS[k], k);
  }

  /** The digits of a non-negative integer, left-padded with zeros to `width`. */
  private digits(n: number, width: number): void {
    let count = 1;
    while (count < TENS.length && n >= TENS[count]) count++;
    if (count === TENS.length) for (let rest = n / TENS[count - 1]; rest >= 10; rest /= 10) count++;
    if (count < width) count = width;
    let at = this.pos + count - 1;
    const buf = this.buf;
    // Timestamps and most values fit 31 bits: integer division there, float division above.
    for (; n > SMALL; at--) {
      const next = Math.floor(n / 10);
      buf[at] = ZERO + (n - next * 10);
      n = next;
    }
    for (; at >= this.pos; at--) {
      const next = (n / 10) | 0;
      buf[at] = ZERO + (n - next * 10);
      n = next;
    }
    this.pos += count;
  }

  private ascii(text: string): void {
    for (let i = 0; i < text.length; i++) this.buf[this.pos++] = text.charCodeAt(i);
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }
}
