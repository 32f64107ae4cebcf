import { RE2JS } from 're2js';
import { bad } from './params.js';

/**
 * Every user regex (aliasSub, grep, exclude) runs on RE2 (re2js): matching time is linear
 * in the input whatever the pattern, so no pattern can hold the event loop (Python's
 * `re`, which graphite-web uses, backtracks). RE2 has no back-references or look-arounds;
 * such a pattern is a 400. Python's `(?P<name>…)` is RE2 syntax too.
 */
const MAX_REGEX_LENGTH = 1000;
/** Names are short; an input longer than this is not matched in full (bounded cost per series). */
const MAX_SUBJECT_LENGTH = 10_000;

export interface UserRegex {
  test(text: string): boolean;
  /** Python `re.sub(pattern, template, text)`: every match replaced. */
  sub(text: string): string;
}

export function compileUserRegex(fn: string, source: string, template = ''): UserRegex {
  if (source.length > MAX_REGEX_LENGTH) throw bad(fn, `the regex is longer than ${MAX_REGEX_LENGTH} characters`);
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (error) {
    throw Object.assign(bad(fn, `invalid regex ${JSON.stringify(source.slice(0, 80))}: ${(error as Error).message}`), { cause: error });
  }
  const groups = re.groupCount();
  const parts = parseTemplate(fn, template, groups, re.namedGroups());
  return {
    test: (text) => re.matcher(text.slice(0, MAX_SUBJECT_LENGTH)).find(),
    sub: (text) =>
      re.matcher(text.slice(0, MAX_SUBJECT_LENGTH)).replaceAll((...args: unknown[]) => {
        let out = '';
        for (const part of parts) out += typeof part === 'string' ? part : ((args[part] as string | null | undefined) ?? '');
        return out;
      }) + text.slice(MAX_SUBJECT_LENGTH),
  };
}

const CHAR_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\' };

/** A Python replacement template as literal text and group numbers (`\1`, `\g<1>`, `\g<name>`). */
export function parseTemplate(fn: string, template: string, groups: number, named: Record<string, number>): Array<string | number> {
  const parts: Array<string | number> = [];
  let literal = '';
  const group = (n: number) => {
    if (n > groups) throw bad(fn, `the replacement refers to group ${n}, the regex has ${groups}`);
    parts.push(literal, n);
    literal = '';
  };
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c !== '\\' || i === template.length - 1) {
      literal += c;
      continue;
    }
    const next = template[++i];
    if (next === 'g' && template[i + 1] === '<') {
      const close = template.indexOf('>', i);
      const name = close < 0 ? '' : template.slice(i + 2, close);
      if (/^\d+$/.test(name)) group(Number(name));
      else if (Object.hasOwn(named, name)) group(named[name]);
      else throw bad(fn, `unknown group ${JSON.stringify(name)} in the replacement`);
      i = close;
    } else if (next >= '1' && next <= '9') {
      const two = template[i + 1] >= '0' && template[i + 1] <= '9' ? template.slice(i, i + 2) : next;
      i += two.length - 1;
      group(Number(two));
    } else if (Object.hasOwn(CHAR_ESCAPES, next)) literal += CHAR_ESCAPES[next];
    else if (/[A-Za-z0]/.test(next)) throw bad(fn, `bad escape \\${next} in the replacement`);
    else literal += `\\${next}`;
  }
  parts.push(literal);
  return parts.filter((p) => p !== '');
}
