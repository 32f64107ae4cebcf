import { z } from 'zod';
import { parseIniBoolean } from '../../../../common/config/index.js';

/**
 * The poller's own typed INI values; the generic ones (text, enums, lists, numbers) are
 * common/config's `ini*`. As in the original (RawConfigParser + `if has_option and get`),
 * an empty value keeps the default. Messages say what was expected and what was found, in
 * the poller's "must be X, got Y" wording: `integer` and `boolean` stay here rather than
 * using `iniInt`/`iniBool` because the poller's config test pins that wording (the
 * common test pins the other, "Y is not X", for the same input).
 */
const shown = (value: string): string => JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);

export function integer(defaultValue: number, min: number, max = Number.MAX_SAFE_INTEGER) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const value = raw?.trim() ?? '';
      if (value === '') return defaultValue;
      if (!/^-?\d+$/.test(value)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be a whole number, got ${shown(value)}` });
        return z.NEVER;
      }
      const number = Number(value);
      if (number < min || number > max) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be between ${min} and ${max}, got ${number}` });
        return z.NEVER;
      }
      return number;
    });
}

export function boolean(defaultValue: boolean) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const value = raw?.trim() ?? '';
      if (value === '') return defaultValue;
      const parsed = parseIniBoolean(value);
      if (parsed === undefined) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be one of 1/yes/true/on or 0/no/false/off, got ${shown(value)}` });
        return z.NEVER;
      }
      return parsed;
    });
}

/** A regular expression anchored at the start, like Python's re.match. */
export function anchoredRegex(defaultValue: string) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const source = raw?.trim() || defaultValue;
      try {
        return new RegExp(`^(?:${source})`);
      } catch (error) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `is not a valid regular expression: ${(error as Error).message}` });
        return z.NEVER;
      }
    });
}

/** `always`, `never`, or a number of milliseconds between fsyncs. */
export function fsyncPolicy(defaultValue: 'always' | 'never' | number) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): 'always' | 'never' | number => {
      const value = raw?.trim().toLowerCase() ?? '';
      if (value === '') return defaultValue;
      if (value === 'always' || value === 'never') return value;
      if (/^\d+$/.test(value) && Number(value) > 0) return Number(value);
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be always, never or a number of milliseconds, got ${shown(value)}` });
      return z.NEVER;
    });
}
