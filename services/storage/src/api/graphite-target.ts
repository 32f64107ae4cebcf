import { BadParameterError, quote } from './errors.js';

/**
 * Parser of Graphite target expressions: `path.with.*{globs}`, `fn(arg, …)`, quoted
 * strings (only `\\`, `\"` and `\'` are escapes) and numbers. Nesting depth
 * and length are capped; the evaluator decides which functions exist.
 */
export type Expr =
  | { type: 'path'; text: string }
  | { type: 'call'; name: string; args: Expr[] }
  | { type: 'string'; value: string }
  | { type: 'number'; value: number };

const MAX_DEPTH = 10;
const MAX_TARGET_LENGTH = 2000;

export function parseTarget(text: string, parameter = 'target'): Expr {
  if (text.length > MAX_TARGET_LENGTH) {
    throw new BadParameterError(parameter, `${parameter} is longer than ${MAX_TARGET_LENGTH} characters`);
  }
  const parser = new Parser(text, parameter);
  const expr = parser.expression(0);
  parser.skipSpace();
  if (!parser.done()) throw parser.error('unexpected text after the expression');
  return expr;
}

class Parser {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly parameter: string,
  ) {}

  done(): boolean {
    return this.pos >= this.text.length;
  }

  skipSpace(): void {
    while (/\s/.test(this.text[this.pos] ?? '')) this.pos++;
  }

  error(message: string): BadParameterError {
    return new BadParameterError(this.parameter, `${this.parameter}: ${message} at character ${this.pos + 1} of ${quote(this.text, 120)}`);
  }

  expression(depth: number): Expr {
    if (depth > MAX_DEPTH) throw this.error(`functions nested deeper than ${MAX_DEPTH}`);
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === undefined) throw this.error('expression expected');
    if (c === '"' || c === "'") return { type: 'string', value: this.quoted(c) };
    const number = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?(?=\s*[,)]|\s*$)/.exec(this.text.slice(this.pos));
    if (number) {
      this.pos += number[0].length;
      return { type: 'number', value: Number(number[0]) };
    }
    const word = this.pathToken();
    this.skipSpace();
    if (this.text[this.pos] !== '(') return { type: 'path', text: word };
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(word)) throw this.error(`${quote(word)} is not a function name`);
    this.pos++;
    const args: Expr[] = [];
    this.skipSpace();
    if (this.text[this.pos] === ')') {
      this.pos++;
      return { type: 'call', name: word, args };
    }
    for (;;) {
      args.push(this.expression(depth + 1));
      this.skipSpace();
      const sep = this.text[this.pos++];
      if (sep === ')') return { type: 'call', name: word, args };
      if (sep !== ',') throw this.error('"," or ")" expected');
    }
  }

  /** A series path: everything up to `(`, `)`, white space or a `,` outside `{…}`. */
  private pathToken(): string {
    const start = this.pos;
    let braces = 0;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos];
      if (c === '{') braces++;
      else if (c === '}') braces--;
      else if (c === '(' || c === ')' || /\s/.test(c) || (c === ',' && braces <= 0)) break;
      this.pos++;
    }
    if (this.pos === start) throw this.error('series path or function expected');
    return this.text.slice(start, this.pos);
  }

  private quoted(q: string): string {
    let out = '';
    this.pos++;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos++];
      if (c === q) return out;
      // `\\`, `\"` and `\'` are escapes; any other backslash stays (so "\1" and "\\1" both mean \1).
      if (c === '\\' && /["'\\]/.test(this.text[this.pos] ?? '')) out += this.text[this.pos++];
      else out += c;
    }
    throw this.error('unterminated string');
  }
}
