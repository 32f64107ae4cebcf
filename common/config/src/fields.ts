import { z } from 'zod';
import { parseIniBoolean } from './ini.js';

/**
 * Typed INI values, the one set every service uses. Every value arrives as a string (file or
 * environment); these turn it into the type the service wants, with a message naming what
 * was expected and what was found. An absent key takes the default. An empty value takes
 * the default too for numbers, booleans and enums, as the original's
 * `if has_option and get(...)` did; a service that wants an empty number refused instead
 * passes `{ emptyMeansDefault: false }`. An empty text stays empty unless
 * `{ emptyMeansDefault: true }` (the poller's rule for every key).
 */
export interface IniFieldOptions {
  emptyMeansDefault?: boolean;
}

/** A default, or a function giving it (e.g. the host name), called only when needed. */
export type IniDefault<T> = T | (() => T);

const resolveDefault = <T>(fallback: IniDefault<T>): T => (typeof fallback === 'function' ? (fallback as () => T)() : fallback);

/** The value as found, quoted, cut short so one huge value does not flood the problem list. */
const shown = (raw: string | undefined): string => {
  const value = raw ?? '';
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
};

/**
 * The common frame: absent (and, unless told otherwise, empty) takes the default; anything
 * else goes through `parse`, which returns the value or undefined when it is not a
 * `expected` (the message then says what was expected and what was found).
 */
function iniField<T>(fallback: IniDefault<T>, expected: string, parse: (trimmed: string) => T | undefined, options: IniFieldOptions = {}) {
  const emptyMeansDefault = options.emptyMeansDefault ?? true;
  return z
    .string()
    .optional()
    .transform((raw, ctx): T => {
      const trimmed = raw?.trim() ?? '';
      if (raw === undefined || (emptyMeansDefault && trimmed === '')) return resolveDefault(fallback);
      const value = parse(trimmed);
      if (value === undefined) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${shown(raw)} is not ${expected}` });
        return z.NEVER;
      }
      return value;
    });
}

/** Text. Kept as written (not trimmed) unless `emptyMeansDefault`, which also trims. */
export const iniString = (fallback: IniDefault<string>, options: IniFieldOptions = {}) =>
  z
    .string()
    .optional()
    .transform((raw) => {
      if (!options.emptyMeansDefault) return raw === undefined ? resolveDefault(fallback) : raw;
      const trimmed = raw?.trim() ?? '';
      return trimmed === '' ? resolveDefault(fallback) : trimmed;
    });

export const iniInt = (fallback: number, min: number, max = Number.MAX_SAFE_INTEGER, options?: IniFieldOptions) =>
  iniField(
    fallback,
    `a whole number between ${min} and ${max}`,
    (v) => {
      const n = Number(v);
      return /^-?\d+$/.test(v) && n >= min && n <= max ? n : undefined;
    },
    options,
  );

export const iniNumber = (fallback: number, min: number, max: number, options?: IniFieldOptions) =>
  iniField(
    fallback,
    `a number between ${min} and ${max}`,
    (v) => {
      const n = Number(v);
      return v !== '' && Number.isFinite(n) && n >= min && n <= max ? n : undefined;
    },
    options,
  );

export const iniBool = (fallback: boolean, options?: IniFieldOptions) =>
  iniField(fallback, 'a boolean (yes/no, true/false, on/off, 1/0)', parseIniBoolean, options);

/** One of a fixed set of words, compared case-insensitively. */
export const iniEnum = <const T extends string>(fallback: NoInfer<T>, allowed: readonly T[], options?: IniFieldOptions) =>
  iniField(fallback, `one of ${allowed.join(', ')}`, (v) => allowed.find((word) => word === v.toLowerCase()), options);

/** Comma-separated list, items trimmed, empty items dropped. */
export const iniList = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((raw) =>
      (raw === undefined ? fallback : raw)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );

/** The keys each section of an object-of-objects config schema knows, for env overrides and typo detection. */
export function knownKeysOf(schema: z.AnyZodObject): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [section, sectionSchema] of Object.entries(schema.shape)) {
    let inner: z.ZodTypeAny = sectionSchema as z.ZodTypeAny;
    while (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional || inner instanceof z.ZodEffects) {
      inner = inner instanceof z.ZodEffects ? inner.innerType() : inner._def.innerType;
    }
    if (inner instanceof z.ZodObject) out[section] = Object.keys(inner.shape);
  }
  return out;
}
