import type { Request, Router } from 'express';
import { z } from 'zod';
import type { AuthUser } from '../auth/user.js';
import { NotFoundError } from '../http-errors.js';
import { parseBody, user } from './common.js';

const IdsIn = z.object({ id: z.array(z.number().int().positive()).min(1).max(1000) }).strict();

/**
 * The original's `DELETE <list URL>` with body `{"id": [...]}`: deletes the subset the user may
 * delete (204), 404 when that subset is empty, 400 on a malformed body.
 */
export function listDelete(
  r: Router,
  path: string,
  mayDelete: (user: AuthUser, id: number, req: Request) => Promise<boolean>,
  remove: (id: number) => Promise<boolean>,
): void {
  r.delete(path, async (req, res) => {
    const u = user(req);
    const { id: ids } = parseBody(IdsIn, req);
    let deleted = 0;
    for (const id of new Set(ids)) if ((await mayDelete(u, id, req)) && (await remove(id))) deleted++;
    if (!deleted) throw new NotFoundError();
    res.status(204).end();
  });
}
