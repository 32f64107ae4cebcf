import { IniProblem, iniField, parseIniBoolean, shownIniValue as shown } from '../../../../common/config/index.js';

/**
 * The poller's own typed INI values, on common/config's `iniField` frame (the generic ones,
 * text and enums, are common/config's `iniString`/`iniEnum`). As in the original
 * (RawConfigParser + `if has_option and get`), an empty value keeps the default. Messages
 * use the poller's "must be X, got Y" wording: `integer` and `boolean` stay here rather than
 * being `iniInt`/`iniBool` because the poller's config test pins that wording (and says
 * which check failed), while the common test pins "Y is not X" for the same input.
 */

export function integer(defaultValue: number, min: number, max = Number.MAX_SAFE_INTEGER) {
  return iniField(defaultValue, (value) => {
    if (!/^-?\d+$/.test(value)) return new IniProblem(`must be a whole number, got ${shown(value)}`);
    const number = Number(value);
    if (number < min || number > max) return new IniProblem(`must be between ${min} and ${max}, got ${number}`);
    return number;
  });
}

export function boolean(defaultValue: boolean) {
  return iniField(
    defaultValue,
    (value) => parseIniBoolean(value) ?? new IniProblem(`must be one of 1/yes/true/on or 0/no/false/off, got ${shown(value)}`),
  );
}

/** A regular expression anchored at the start, like Python's re.match. */
export function anchoredRegex(defaultValue: string) {
  const compile = (source: string): RegExp | IniProblem => {
    try {
      return new RegExp(`^(?:${source})`);
    } catch (error) {
      return new IniProblem(`is not a valid regular expression: ${(error as Error).message}`);
    }
  };
  return iniField(() => compile(defaultValue) as RegExp, compile);
}

/** `always`, `never`, or a number of milliseconds between fsyncs. */
export function fsyncPolicy(defaultValue: 'always' | 'never' | number) {
  return iniField(defaultValue, (trimmed): 'always' | 'never' | number | IniProblem => {
    const value = trimmed.toLowerCase();
    if (value === 'always' || value === 'never') return value;
    if (/^\d+$/.test(value) && Number(value) > 0) return Number(value);
    return new IniProblem(`must be always, never or a number of milliseconds, got ${shown(value)}`);
  });
}
