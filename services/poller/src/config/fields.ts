import { IniProblem, iniField, shownIniValue as shown } from '../../../../common/config/index.js';

/**
 * The poller's own typed INI values, on common/config's `iniField` frame; the generic ones
 * (numbers, booleans, text, enums) are common/config's `iniInt`/`iniBool`/`iniString`/`iniEnum`.
 * As in the original (RawConfigParser + `if has_option and get`), an empty value keeps the default.
 */

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
