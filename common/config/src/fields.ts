import { z } from 'zod';
import { parseIniBoolean } from './ini.js';

/**
 * Typed INI values. Every value arrives as a string (file or environment); these turn it
 * into the type the service wants, with a message naming what was expected. An absent or
 * empty value takes the default, as the original's `if has_option and get(...)` did.
 */
const orDefault = (v: string | undefined, fallback: string) => (v === undefined || v.trim() === '' ? fallback : v.trim());

export const iniString = (fallback: string) => z.string().optional().transform((v) => (v === undefined ? fallback : v));

export const iniInt = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const v = orDefault(raw, String(fallback));
      const n = Number(v);
      if (!/^-?\d+$/.test(v) || n < min || n > max) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${JSON.stringify(raw)} is not a whole number between ${min} and ${max}` });
        return z.NEVER;
      }
      return n;
    });

export const iniNumber = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const n = Number(orDefault(raw, String(fallback)));
      if (!Number.isFinite(n) || n < min || n > max) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${JSON.stringify(raw)} is not a number between ${min} and ${max}` });
        return z.NEVER;
      }
      return n;
    });

export const iniBool = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return fallback;
      const b = parseIniBoolean(raw);
      if (b === undefined) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${JSON.stringify(raw)} is not a boolean (yes/no, true/false, on/off, 1/0)` });
        return z.NEVER;
      }
      return b;
    });

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
