import type { Request } from 'express';
import type { z } from 'zod';
import { ListQuery, type PageOf } from '../../../../common/schemas/index.js';
import type { AuthUser } from '../auth/user.js';
import { fromZod, HttpError, NotFoundError } from '../http-errors.js';
import type { PageRequest, PageResult } from '../repos/sql.js';

/** Validates a JSON body; a 400 names the first bad field. */
export function parseBody<S extends z.ZodTypeAny>(schema: S, req: Request): z.output<S> {
  return parsed(schema, req.body ?? {});
}

/** Validates the query string; a 400 names the first bad parameter. */
export function parseQuery<S extends z.ZodTypeAny>(schema: S, req: Request): z.output<S> {
  return parsed(schema, req.query);
}

function parsed<S extends z.ZodTypeAny>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw fromZod(result.error);
  return result.data;
}

/** `:id` as a positive integer; anything else cannot name an object, hence 404. */
export function idParam(req: Request, name = 'id'): number {
  const raw = req.params[name];
  const id = typeof raw === 'string' && /^\d{1,10}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(id) || id <= 0) throw new NotFoundError();
  return id;
}

export function user(req: Request): AuthUser {
  if (!req.user) throw new HttpError(401, 'authentication required');
  return req.user;
}

export function requireSuper(req: Request): AuthUser {
  const u = user(req);
  if (!u.isSuperuser) throw new HttpError(403, 'superuser only');
  return u;
}

export function pageRequest(req: Request): PageRequest {
  const q = parseQuery(ListQuery, req);
  return { page: q.page, pageSize: q.page_size, q: q.q, ids: q.id };
}

/** `{count, next, previous, results}` with relative links that keep the other query parameters. */
export function pageOf<T, O>(req: Request, page: PageRequest, result: PageResult<T>, map: (row: T) => O): PageOf<O> {
  const link = (n: number) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(req.query))
      for (const v of Array.isArray(value) ? value : [value]) if (typeof v === 'string') params.append(key, v);
    params.set('page', String(n));
    return `${req.baseUrl}${req.path}?${params}`;
  };
  const last = Math.max(1, Math.ceil(result.count / page.pageSize));
  return {
    count: result.count,
    next: page.page < last ? link(page.page + 1) : null,
    previous: page.page > 1 ? link(Math.min(page.page - 1, last)) : null,
    results: result.rows.map(map),
  };
}

/** A list route's answer: the page asked for, listed by `list`, each row through `map`. */
export async function listPage<T, O>(
  req: Request,
  list: (page: PageRequest) => Promise<PageResult<T>>,
  map: (row: T) => O,
): Promise<PageOf<O>> {
  const page = pageRequest(req);
  return pageOf(req, page, await list(page), map);
}

/** 404 unless found. */
export function found<T>(value: T | null | undefined): T {
  if (value === null || value === undefined) throw new NotFoundError();
  return value;
}
