import { type Request, type Response, Router } from 'express';
import { GroupIn, SetPassword, TokenIn, UserIn, UserPatch } from '../../../../common/schemas/index.js';
import { checkCredentials, passesLimit } from '../auth/credentials.js';
import { hashPassword } from '../auth/passwords.js';
import { createToken } from '../auth/tokens.js';
import type { AuthUser } from '../auth/user.js';
import type { AppDeps } from '../deps.js';
import { HttpError, ValidationError } from '../http-errors.js';
import { EVERYTHING, inList, type Scope } from '../repos/sql.js';
import { found, idParam, listPage, parseBody, requireSuper, user } from './common.js';
import { listDelete } from './list-delete.js';
import { out } from './serializers.js';

/** Users a user may see: all for superusers, else themselves and members of their groups. */
function userScope(u: AuthUser): Scope {
  if (u.isSuperuser) return EVERYTHING;
  if (!u.groupIds.length) return { sql: 'id = ?', params: [u.id] };
  const groups = inList('group_id', u.groupIds);
  return { sql: `id = ? OR id IN (SELECT user_id FROM group_members WHERE ${groups.sql})`, params: [u.id, ...groups.params] };
}

async function visibleUser(deps: AppDeps, viewer: AuthUser, id: number) {
  const target = await deps.repos.users.get(id);
  if (!target) return null;
  if (viewer.isSuperuser || viewer.id === id || target.groups.some((g) => viewer.groupIds.includes(g))) return target;
  return null;
}

/**
 * Changing one's own password asks for the current one (behind the login rate limit), so
 * that a stolen session or token cannot take the account over. False when a 429 was sent.
 */
async function currentPasswordMatches(deps: AppDeps, req: Request, res: Response, current: string | undefined): Promise<boolean> {
  if (current === undefined) throw new ValidationError('current_password: required to change your own password', 'current_password');
  if (!(await passesLimit(deps.loginLimiter, req, res))) return false;
  const viewer = user(req);
  if (!(await checkCredentials(deps.repos, viewer.username, current)))
    throw new ValidationError('current_password: not the current password', 'current_password');
  res.locals.loginSucceeded = true;
  return true;
}

/** `/rest/users`, `/rest/superusers`, `/rest/groups`, `/rest/tokens`. */
export function accountsRouter(deps: AppDeps): Router {
  const r = Router();
  const { users, groups, tokens } = deps.repos;

  for (const [path, superusers] of [
    ['/users', false],
    ['/superusers', true],
  ] as const) {
    r.get(path, async (req, res) => {
      res.json(
        await listPage(
          req,
          (page) => {
            const scope = userScope(user(req));
            return users.list(page, { sql: `(${scope.sql}) AND is_superuser = ?`, params: [...scope.params, superusers] });
          },
          out.user,
        ),
      );
    });
  }
  r.get(['/users/:id', '/superusers/:id'], async (req, res) => {
    res.json(out.user(found(await visibleUser(deps, user(req), idParam(req)))));
  });
  r.post(['/users', '/superusers'], async (req, res) => {
    requireSuper(req);
    const body = parseBody(UserIn, req);
    const id = await users.create({
      username: body.username,
      email: body.email,
      isSuperuser: req.path.startsWith('/superusers') || body.is_superuser,
      graphLib: body.graph_lib,
      groups: body.groups,
      passwordHash: await hashPassword(body.password),
    });
    res.status(201).json(out.user(found(await users.get(id))));
  });
  r.patch(['/users/:id', '/superusers/:id'], async (req, res) => {
    const viewer = user(req);
    const target = found(await visibleUser(deps, viewer, idParam(req)));
    const body = parseBody(UserPatch, req);
    if (!viewer.isSuperuser) {
      if (viewer.id !== target.id) throw new HttpError(403, 'only superusers edit other users');
      for (const field of ['is_superuser', 'groups', 'username'] as const)
        if (body[field] !== undefined) throw new HttpError(403, `only superusers change ${field}`, field);
    }
    await users.update(target.id, {
      username: body.username,
      email: body.email,
      isSuperuser: body.is_superuser,
      graphLib: body.graph_lib,
      groups: body.groups,
    });
    res.json(out.user(found(await users.get(target.id))));
  });
  r.delete(['/users/:id', '/superusers/:id'], async (req, res) => {
    const target = found(await visibleUser(deps, user(req), idParam(req)));
    requireSuper(req);
    await users.delete(target.id);
    res.status(204).end();
  });
  r.post(['/users/:id/set_password', '/superusers/:id/set_password'], async (req, res) => {
    const viewer = user(req);
    const target = found(await visibleUser(deps, viewer, idParam(req)));
    if (!viewer.isSuperuser && viewer.id !== target.id) throw new HttpError(403, 'only superusers set other users\u2019 passwords');
    const body = parseBody(SetPassword, req);
    if (viewer.id === target.id && !(await currentPasswordMatches(deps, req, res, body.current_password))) return;
    // the user's other sessions end; one changing their own password stays logged in here
    const keep = viewer.id === target.id && viewer.via === 'session' ? req.sessionID : undefined;
    await users.setPasswordHash(target.id, await hashPassword(body.password), keep);
    res.json({ status: 'password set' });
  });

  r.get('/groups', async (req, res) => {
    requireSuper(req);
    res.json(await listPage(req, (page) => groups.list(page), out.group));
  });
  r.get('/groups/:id', async (req, res) => {
    requireSuper(req);
    res.json(out.group(found(await groups.get(idParam(req)))));
  });
  r.post('/groups', async (req, res) => {
    requireSuper(req);
    const id = await groups.create(parseBody(GroupIn, req).name);
    res.status(201).json(out.group(found(await groups.get(id))));
  });
  r.patch('/groups/:id', async (req, res) => {
    requireSuper(req);
    const id = idParam(req);
    found(await groups.get(id));
    await groups.rename(id, parseBody(GroupIn, req).name);
    res.json(out.group(found(await groups.get(id))));
  });
  r.delete('/groups/:id', async (req, res) => {
    requireSuper(req);
    found((await groups.delete(idParam(req))) || null);
    res.status(204).end();
  });

  listDelete(
    r,
    '/users',
    async (u) => u.isSuperuser,
    (id) => users.delete(id),
  );
  listDelete(
    r,
    '/groups',
    async (u) => u.isSuperuser,
    (id) => groups.delete(id),
  );

  const tokenScope = (u: AuthUser): Scope => (u.isSuperuser ? EVERYTHING : { sql: 'user_id = ?', params: [u.id] });
  const visibleToken = async (u: AuthUser, id: number) => {
    const t = await tokens.get(id);
    return t && (u.isSuperuser || t.userId === u.id) ? t : null;
  };
  r.get('/tokens', async (req, res) => {
    res.json(await listPage(req, (page) => tokens.list(page, tokenScope(user(req))), out.token));
  });
  r.get('/tokens/:id', async (req, res) => {
    res.json(out.token(found(await visibleToken(user(req), idParam(req)))));
  });
  r.post('/tokens', async (req, res) => {
    const { name } = parseBody(TokenIn, req);
    const { token, row } = await createToken(deps.repos, user(req).id, name);
    res.status(201).json({ ...out.token(row), token });
  });
  r.delete('/tokens/:id', async (req, res) => {
    const t = found(await visibleToken(user(req), idParam(req)));
    await tokens.delete(t.id);
    res.status(204).end();
  });
  return r;
}
