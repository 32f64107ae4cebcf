import type { Command } from 'commander';
import { UserIn } from '../../../../common/schemas/index.js';
import { generatePassword, hashPassword } from '../auth/passwords.js';
import { createToken } from '../auth/tokens.js';
import type { AppDeps } from '../deps.js';
import type { User } from '../repos/index.js';
import { type GlobalOptions, idList, nameList, type Out, parseBool, table, UsageError, withDeps } from './context.js';

async function groupIds(deps: AppDeps, names: string | undefined): Promise<number[] | undefined> {
  if (names === undefined) return undefined;
  const ids: number[] = [];
  for (const name of nameList(names)) {
    const group = /^\d+$/.test(name) ? await deps.repos.groups.get(Number(name)) : await deps.repos.groups.byName(name);
    if (!group) throw new UsageError(`no group "${name}"`);
    ids.push(group.id);
  }
  return ids;
}

/** Users named by `-i id,id` or `-u name`. */
async function pickUsers(deps: AppDeps, o: { id?: string; username?: string }): Promise<User[]> {
  if (o.id)
    return Promise.all(idList(o.id).map(async (id) => (await deps.repos.users.get(id)) ?? Promise.reject(new UsageError(`no user ${id}`))));
  if (o.username) {
    const user = await deps.repos.users.byUsername(o.username);
    if (!user) throw new UsageError(`no user "${o.username}"`);
    return [user];
  }
  throw new UsageError('name the user with -i <ids> or -u <username>');
}

export function registerAccountCommands(program: Command, global: () => GlobalOptions, out: Out): void {
  const user = program.command('user').description('manage users');
  user
    .command('add')
    .requiredOption('-u, --username <name>')
    .option('-e, --email <email>', 'e-mail address', '')
    .option('-S, --superuser', 'a superuser (sees everything)', false)
    .option('-g, --groups <groups>', 'group names or ids, comma separated')
    .option('-p, --password <password>', 'password (default: a generated one, printed once)')
    .action((o) =>
      withDeps(global(), async (deps) => {
        const password = o.password ?? generatePassword();
        const parsed = UserIn.safeParse({ username: o.username, email: o.email, password, is_superuser: o.superuser });
        if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
        const id = await deps.repos.users.create({
          username: parsed.data.username,
          email: parsed.data.email,
          isSuperuser: parsed.data.is_superuser,
          graphLib: parsed.data.graph_lib,
          groups: (await groupIds(deps, o.groups)) ?? [],
          passwordHash: await hashPassword(password),
        });
        out(`user ${parsed.data.username} created (id ${id})`);
        if (!o.password) out(`password: ${password}`);
      }),
    );
  user.command('list').action(() =>
    withDeps(global(), async (deps) => {
      const groups = new Map((await deps.repos.groups.all()).map((g) => [g.id, g.name]));
      const rows = (await deps.repos.users.all()).map((u) => [
        u.id,
        u.username,
        u.email,
        u.isSuperuser,
        u.groups.map((g) => groups.get(g)).join(','),
      ]);
      out(table(['ID', 'USERNAME', 'EMAIL', 'SUPERUSER', 'GROUPS'], rows));
    }),
  );
  user
    .command('del')
    .option('-i, --id <ids>')
    .option('-u, --username <name>')
    .action((o) =>
      withDeps(global(), async (deps) => {
        for (const u of await pickUsers(deps, o)) {
          await deps.repos.users.delete(u.id);
          out(`user ${u.username} deleted`);
        }
      }),
    );
  user
    .command('mod')
    .option('-i, --id <ids>')
    .option('-u, --username <name>')
    .option('-n, --new-username <name>')
    .option('-e, --email <email>')
    .option('-S, --superuser <bool>', 'true or false')
    .option('-g, --groups <groups>', 'replace the groups (names or ids)')
    .option('-p, --password <password>')
    .action((o) =>
      withDeps(global(), async (deps) => {
        for (const u of await pickUsers(deps, o)) {
          await deps.repos.users.update(u.id, {
            username: o.newUsername,
            email: o.email,
            isSuperuser: o.superuser === undefined ? undefined : parseBool(o.superuser),
            groups: await groupIds(deps, o.groups),
          });
          if (o.password) await deps.repos.users.setPasswordHash(u.id, await hashPassword(o.password));
          out(`user ${u.username} modified`);
        }
      }),
    );

  const group = program.command('group').description('manage groups');
  group
    .command('add')
    .requiredOption('-n, --name <names>', 'comma separated')
    .action((o) =>
      withDeps(global(), async (deps) => {
        for (const name of nameList(o.name)) out(`group ${name} created (id ${await deps.repos.groups.create(name)})`);
      }),
    );
  group.command('list').action(() =>
    withDeps(global(), async (deps) => {
      out(
        table(
          ['ID', 'NAME'],
          (await deps.repos.groups.all()).map((g) => [g.id, g.name]),
        ),
      );
    }),
  );
  group
    .command('del')
    .requiredOption('-i, --id <ids>', 'ids or names, comma separated')
    .action((o) =>
      withDeps(global(), async (deps) => {
        for (const id of (await groupIds(deps, o.id)) ?? []) {
          await deps.repos.groups.delete(id);
          out(`group ${id} deleted`);
        }
      }),
    );
  group
    .command('mod')
    .requiredOption('-i, --id <id>', 'id or name')
    .requiredOption('-n, --name <name>', 'new name')
    .action((o) =>
      withDeps(global(), async (deps) => {
        const [id] = (await groupIds(deps, o.id)) ?? [];
        await deps.repos.groups.rename(id, o.name);
        out(`group ${id} renamed ${o.name}`);
      }),
    );

  const token = program.command('token').description('manage API tokens (Authorization: Bearer <token>)');
  token
    .command('add')
    .requiredOption('-u, --username <name>')
    .requiredOption('-n, --name <name>', 'what the token is for')
    .action((o) =>
      withDeps(global(), async (deps) => {
        const [u] = await pickUsers(deps, { username: o.username });
        const { token: secret, row } = await createToken(deps.repos, u.id, o.name);
        out(`token ${row.id} created for ${u.username}; it is shown only now:`);
        out(secret);
      }),
    );
  token.command('list').action(() =>
    withDeps(global(), async (deps) => {
      const users = new Map((await deps.repos.users.all()).map((u) => [u.id, u.username]));
      const rows = (await deps.repos.tokens.all()).map((t) => [
        t.id,
        users.get(t.userId) ?? '',
        t.name,
        `${t.prefix}…`,
        t.createdAt.toISOString(),
        t.lastUsedAt?.toISOString() ?? '',
      ]);
      out(table(['ID', 'USER', 'NAME', 'PREFIX', 'CREATED', 'LAST USED'], rows));
    }),
  );
  token
    .command('del')
    .requiredOption('-i, --id <ids>')
    .action((o) =>
      withDeps(global(), async (deps) => {
        for (const id of idList(o.id)) out((await deps.repos.tokens.delete(id)) ? `token ${id} deleted` : `no token ${id}`);
      }),
    );
}
