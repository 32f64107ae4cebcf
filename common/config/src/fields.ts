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
export const shownIniValue = (raw: string | undefined): string => {
  const value = raw ?? '';
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
};

/** What a field's parser returns for a value it cannot take: the message for the problem list. */
export class IniProblem {
  constructor(readonly message: string) {}
}

/**
 * The frame of every typed field: absent (and, unless told otherwise, empty) takes the
 * default; anything else goes through `parse` (given the trimmed and the raw value), which
 * returns the value or an IniProblem saying what was expected and what was found.
 */
export function iniField<T>(
  fallback: IniDefault<T>,
  parse: (trimmed: string, raw: string) => T | IniProblem,
  options: IniFieldOptions = {},
) {
  const emptyMeansDefault = options.emptyMeansDefault ?? true;
  return z
    .string()
    .optional()
    .transform((raw, ctx): T => {
      const trimmed = raw?.trim() ?? '';
      if (raw === undefined || (emptyMeansDefault && trimmed === '')) return resolveDefault(fallback);
      const value = parse(trimmed, raw);
      if (value instanceof IniProblem) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: value.message });
        return z.NEVER;
      }
      return value;
    });
}

/** A parser for `iniField` that either accepts a value or says it "is not <expected>". */
const acceptOr =
  <T>(expected: string, accept: (trimmed: string) => T | undefined) =>
  (trimmed: string, raw: string): T | IniProblem =>
    accept(trimmed) ?? new IniProblem(`${shownIniValue(raw)} is not ${expected}`);

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
    acceptOr(`a whole number between ${min} and ${max}`, (v) => {
      const n = Number(v);
      return /^-?\d+$/.test(v) && n >= min && n <= max ? n : undefined;
    }),
    options,
  );

export const iniNumber = (fallback: number, min: number, max: number, options?: IniFieldOptions) =>
  iniField(
    fallback,
    acceptOr(`a number between ${min} and ${max}`, (v) => {
      const n = Number(v);
      return v !== '' && Number.isFinite(n) && n >= min && n <= max ? n : undefined;
    }),
    options,
  );

export const iniBool = (fallback: boolean, options?: IniFieldOptions) =>
  iniField(fallback, acceptOr('a boolean (yes/no, true/false, on/off, 1/0)', parseIniBoolean), options);

/** One of a fixed set of words, compared case-insensitively. */
export const iniEnum = <const T extends string>(fallback: NoInfer<T>, allowed: readonly T[], options?: IniFieldOptions) =>
  iniField(
    fallback,
    acceptOr(`one of ${allowed.join(', ')}`, (v) => allowed.find((word) => word === v.toLowerCase())),
    options,
  );

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
