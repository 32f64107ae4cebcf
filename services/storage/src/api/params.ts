import type { Request } from 'express';
import { nameProblem } from '../../../../common/schemas/index.js';
import { BadParameterError, quote } from './errors.js';

/**
 * Reading query parameters (and, for Graphite's POSTs, form fields): every value is
 * untrusted, so each helper checks one thing and throws a 400 that names the parameter.
 */
const MAX_PARAMETER_LENGTH = 4096;

/** All values of a parameter, from the query string and a urlencoded body (Graphite merges both). */
export function allValues(req: Request, name: string): string[] {
  const out: string[] = [];
  const sources = [req.query as Record<string, unknown>, (req.body ?? {}) as Record<string, unknown>];
  for (const source of sources) {
    if (typeof source !== 'object' || source === null || !Object.hasOwn(source, name)) continue;
    const value = source[name];
    for (const item of Array.isArray(value) ? value : [value]) {
      if (typeof item !== 'string') throw new BadParameterError(name, `${name} must be a plain string`);
      if (item.length > MAX_PARAMETER_LENGTH) {
        throw new BadParameterError(name, `${name} is longer than ${MAX_PARAMETER_LENGTH} characters`);
      }
      out.push(item);
    }
  }
  return out;
}

export function optionalParam(req: Request, name: string): string | undefined {
  const values = allValues(req, name);
  if (values.length > 1) throw new BadParameterError(name, `${name} is given more than once`);
  return values[0];
}

export function requiredParam(req: Request, name: string): string {
  const value = optionalParam(req, name);
  if (value === undefined || value === '') throw new BadParameterError(name, `missing parameter ${name}`);
  return value;
}

/** A host, plugin or data-source name: the shared safe-name rules (no `/`, NUL, `..`...). */
export function nameParam(req: Request, name: string): string {
  const value = requiredParam(req, name);
  checkName(name, value);
  return value;
}

export function checkName(parameter: string, value: string): void {
  const problem = nameProblem(value);
  if (problem) throw new BadParameterError(parameter, `${parameter} ${quote(value)} ${problem}`);
}

/** Comma-separated names (`ds=a,b`), each checked, duplicates removed, order kept. */
export function nameListParam(req: Request, name: string, max: number): string[] {
  const items = requiredParam(req, name).split(',');
  if (items.length > max) throw new BadParameterError(name, `${name} lists more than ${max} names`);
  for (const item of items) checkName(name, item);
  return [...new Set(items)];
}

export function positiveIntParam(req: Request, name: string): number | undefined {
  const value = optionalParam(req, name);
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,9}$/.test(value) || Number(value) === 0) {
    throw new BadParameterError(name, `${name} must be a positive integer, got ${quote(value)}`);
  }
  return Number(value);
}
