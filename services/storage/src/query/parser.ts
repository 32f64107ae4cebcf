import { BadParameterError, quote } from '../api/errors.js';

/**
 * Graphite target expressions, read the way graphite-web 1.1's grammar reads them:
 * series paths (`a.b.*`, `{x,y}` lists, `\(` escapes), `fn(arg, …, name=value)`, strings
 * kept raw between their quotes (graphite-web does not unescape them), integers, floats,
 * `1e5`, `true`/`false`, `none`, `inf`, and pipes (`a.b.c | scale(2)` is `scale(a.b.c, 2)`).
 * A hand-written scanner: every character is looked at a bounded number of times, so
 * the time is linear in the length whatever the input.
 */
export type Expr = PathExpr | CallExpr | StringExpr | NumberExpr | BooleanExpr | NoneExpr;

export interface PathExpr {
  type: 'path';
  text: string;
}
export interface CallExpr {
  type: 'call';
  name: string;
  args: Expr[];
  kwargs: Record<string, Expr>;
}
export interface StringExpr {
  type: 'string';
  value: string;
}
export interface NumberExpr {
  type: 'number';
  value: number;
  /** Written without a fraction or exponent: graphite-web keeps it a Python int. */
  integer: boolean;
}
export interface BooleanExpr {
  type: 'boolean';
  value: boolean;
}
export interface NoneExpr {
  type: 'none';
}

export const MAX_TARGET_LENGTH = 4096;
const MAX_DEPTH = 40;
const PATH_STOP = new Set(['(', ')', '{', '}', ',', '.', "'", '"', '\\', '|']);
const ESCAPABLE = new Set(['(', ')', '{', '}', ',', '.', "'", '"', '\\', '|', '=']);

export function parseTarget(text: string, parameter = 'target', maxLength = MAX_TARGET_LENGTH): Expr {
  if (text.length > maxLength) {
    throw new BadParameterError(parameter, `${parameter} is longer than ${maxLength} characters`);
  }
  const parser = new Parser(text, parameter);
  // At the top, graphite-web's grammar knows only calls and paths: `5` or `true` is a path there.
  const expr = parser.expression(0, true);
  parser.skipSpace();
  if (!parser.done()) throw parser.error('unexpected text after the expression');
  return expr;
}

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function isIdentStart(c: string | undefined): boolean {
  return c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_');
}

function isIdentPart(c: string | undefined): boolean {
  return isIdentStart(c) || isDigit(c);
}

/** A printable ASCII character (what pyparsing's `printables` holds), or any non-ASCII one. */
function isPathChar(c: string): boolean {
  const code = c.charCodeAt(0);
  return ((code > 32 && code < 127) || code > 159) && !PATH_STOP.has(c);
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
    while (isSpace(this.text[this.pos])) this.pos++;
  }

  error(message: string): BadParameterError {
    return new BadParameterError(this.parameter, `${this.parameter}: ${message} at character ${this.pos + 1} of ${quote(this.text, 120)}`);
  }

  /** An argument or a whole target, followed by any `| call(...)` pipes. */
  expression(depth: number, seriesOnly = false): Expr {
    if (depth > MAX_DEPTH) throw this.error(`functions nested deeper than ${MAX_DEPTH}`);
    let expr = this.primary(depth, seriesOnly);
    for (;;) {
      const save = this.pos;
      this.skipSpace();
      if (this.text[this.pos] !== '|') {
        this.pos = save;
        return expr;
      }
      if (expr.type !== 'path' && expr.type !== 'call') throw this.error('only a series can be piped into a function');
      this.pos++;
      this.skipSpace();
      const start = this.pos;
      const next = this.primary(depth, true);
      if (next.type !== 'call') {
        this.pos = start;
        throw this.error('a function call must follow "|"');
      }
      next.args.unshift(expr);
      expr = next;
    }
  }

  private primary(depth: number, seriesOnly: boolean): Expr {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === undefined) throw this.error('expression expected');
    if (c === '"' || c === "'") {
      if (seriesOnly) throw this.error('a series path or a function call expected, not a string');
      return { type: 'string', value: this.quoted(c) };
    }
    const number = seriesOnly ? null : this.number();
    if (number) return number;
    const start = this.pos;
    const word = this.path();
    const afterWord = this.pos;
    this.skipSpace();
    if (this.text[this.pos] === '(') {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(word)) {
        this.pos = start;
        throw this.error(`${quote(word)} is not a function name`);
      }
      this.pos++;
      return this.call(word, depth);
    }
    this.pos = afterWord;
    const keyword = seriesOnly ? null : this.keyword(word);
    return keyword ?? { type: 'path', text: word };
  }

  private keyword(word: string): Expr | null {
    switch (word.toLowerCase()) {
      case 'true':
        return { type: 'boolean', value: true };
      case 'false':
        return { type: 'boolean', value: false };
      case 'none':
        return { type: 'none' };
      case 'inf':
        return { type: 'number', value: Number.POSITIVE_INFINITY, integer: false };
      default:
        return null;
    }
  }

  private call(name: string, depth: number): CallExpr {
    const call: CallExpr = { type: 'call', name, args: [], kwargs: Object.create(null) };
    this.skipSpace();
    if (this.text[this.pos] === ')') {
      this.pos++;
      return call;
    }
    for (;;) {
      const kwarg = this.kwargName();
      if (kwarg !== null) {
        if (Object.hasOwn(call.kwargs, kwarg)) throw this.error(`keyword argument ${quote(kwarg)} given twice`);
        call.kwargs[kwarg] = this.expression(depth + 1);
      } else {
        if (Object.keys(call.kwargs).length > 0) throw this.error('a positional argument cannot follow a keyword argument');
        call.args.push(this.expression(depth + 1));
      }
      this.skipSpace();
      const sep = this.text[this.pos];
      if (sep === ')') {
        this.pos++;
        return call;
      }
      if (sep !== ',') throw this.error('"," or ")" expected');
      this.pos++;
    }
  }

  /** `name=` at the current position: returns the name (and moves past `=`), or null without moving. */
  private kwargName(): string | null {
    this.skipSpace();
    let end = this.pos;
    if (!isIdentStart(this.text[end])) return null;
    while (isIdentPart(this.text[end])) end++;
    let eq = end;
    while (isSpace(this.text[eq])) eq++;
    if (this.text[eq] !== '=') return null;
    const name = this.text.slice(this.pos, end);
    this.pos = eq + 1;
    return name;
  }

  /** `-?\d+(\.\d+)?(e-?\d+)?` followed by `,`, `)` or the end (else the text is a path such as `5xx.a`). */
  private number(): NumberExpr | null {
    const text = this.text;
    let i = this.pos;
    if (text[i] === '-') i++;
    if (!isDigit(text[i])) return null;
    while (isDigit(text[i])) i++;
    let integer = true;
    if (text[i] === '.' && isDigit(text[i + 1])) {
      integer = false;
      i++;
      while (isDigit(text[i])) i++;
    }
    if ((text[i] === 'e' || text[i] === 'E') && (isDigit(text[i + 1]) || (text[i + 1] === '-' && isDigit(text[i + 2])))) {
      integer = false;
      i += text[i + 1] === '-' ? 2 : 1;
      while (isDigit(text[i])) i++;
    }
    let after = i;
    while (isSpace(text[after])) after++;
    if (after < text.length && text[after] !== ',' && text[after] !== ')') return null;
    const value = Number(text.slice(this.pos, i));
    this.pos = i;
    return { type: 'number', value, integer };
  }

  /** A series path: nodes of path characters, `\` escapes and `{a,b}` lists, joined by dots. */
  private path(): string {
    const start = this.pos;
    let out = '';
    let nodeStart = true;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos];
      if (c === '\\') {
        const next = this.text[this.pos + 1];
        if (next === undefined || !ESCAPABLE.has(next)) break;
        out += next;
        this.pos += 2;
      } else if (c === '{') {
        out += this.valueList();
      } else if (c === '.') {
        if (nodeStart) break;
        out += c;
        this.pos++;
        nodeStart = true;
        continue;
      } else if (isPathChar(c)) {
        out += c;
        this.pos++;
      } else break;
      nodeStart = false;
    }
    if (this.pos === start) throw this.error('series path or function expected');
    if (nodeStart) throw this.error('a series path cannot end with "."');
    return out;
  }

  private valueList(): string {
    const close = this.text.indexOf('}', this.pos);
    if (close < 0) throw this.error('unterminated "{"');
    const body = this.text.slice(this.pos + 1, close);
    for (const c of body) {
      if (c !== ',' && !isPathChar(c)) throw this.error(`${quote(c)} inside "{…}"`);
    }
    this.pos = close + 1;
    return `{${body}}`;
  }

  /** Text between quotes, kept raw as graphite-web keeps it (`\"` does not end it). */
  private quoted(q: string): string {
    const start = ++this.pos;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos];
      if (c === q) {
        const value = this.text.slice(start, this.pos);
        this.pos++;
        return value;
      }
      if (c === '\n' || c === '\r') break;
      this.pos += c === '\\' ? 2 : 1;
    }
    throw this.error('unterminated string');
  }
}
