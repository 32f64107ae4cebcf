import type { AuthUser } from './auth/user.js';
import type { Host, Multiview, Plugin, Repositories, Source, View } from './repos/index.js';
import { EVERYTHING, inList, NOTHING, type Scope } from './repos/sql.js';

/**
 * The permission model of the original Numeter, checked on every request (REST, pages, data):
 * superusers see everything; a host (and its plugins and sources) is visible to members of the
 * host's group; views and multiviews to the users and groups they are shared with.
 * Lookups return null for objects the user may not see, so callers answer 404 and never reveal them.
 */
export class Access {
  constructor(private readonly repos: Repositories) {}

  /** Filter on hosts alias `h`. */
  hostScope(user: AuthUser): Scope {
    if (user.isSuperuser) return EVERYTHING;
    return user.groupIds.length ? inList('h.group_id', user.groupIds) : NOTHING;
  }
  /** Filter on views alias `v`. */
  viewScope(user: AuthUser): Scope {
    return this.sharedScope(user, 'v.id', 'view_users', 'view_groups', 'view_id');
  }
  /** Filter on multiviews alias `m`. */
  multiviewScope(user: AuthUser): Scope {
    return this.sharedScope(user, 'm.id', 'multiview_users', 'multiview_groups', 'multiview_id');
  }
  /** Filter on events alias `e`: events on at least one visible host (all for superusers). */
  eventScope(user: AuthUser): Scope {
    if (user.isSuperuser) return EVERYTHING;
    const hosts = this.hostScope(user);
    return {
      sql: `e.id IN (SELECT eh.event_id FROM event_hosts eh JOIN hosts h ON h.id = eh.host_id WHERE ${hosts.sql})`,
      params: hosts.params,
    };
  }

  canSeeHostRow(user: AuthUser, host: Pick<Host, 'groupId'>): boolean {
    return user.isSuperuser || (host.groupId !== null && user.groupIds.includes(host.groupId));
  }
  async canSeeHost(user: AuthUser, hostId: number): Promise<boolean> {
    return (await this.host(user, hostId)) !== null;
  }
  async host(user: AuthUser, hostId: number): Promise<Host | null> {
    const host = await this.repos.hosts.get(hostId);
    return host && this.canSeeHostRow(user, host) ? host : null;
  }
  async hostByHostid(user: AuthUser, hostid: string): Promise<Host | null> {
    const host = await this.repos.hosts.byHostid(hostid);
    return host && this.canSeeHostRow(user, host) ? host : null;
  }
  async plugin(user: AuthUser, pluginId: number): Promise<Plugin | null> {
    const plugin = await this.repos.plugins.get(pluginId);
    return plugin && (await this.host(user, plugin.hostId)) ? plugin : null;
  }
  async source(user: AuthUser, sourceId: number): Promise<Source | null> {
    const source = await this.repos.sources.get(sourceId);
    return source && (await this.plugin(user, source.pluginId)) ? source : null;
  }
  canSeeShared(user: AuthUser, obj: { users: number[]; groups: number[] }): boolean {
    return user.isSuperuser || obj.users.includes(user.id) || obj.groups.some((g) => user.groupIds.includes(g));
  }
  async view(user: AuthUser, viewId: number): Promise<View | null> {
    const view = await this.repos.views.get(viewId);
    return view && this.canSeeShared(user, view) ? view : null;
  }
  async canSeeView(user: AuthUser, viewId: number): Promise<boolean> {
    return (await this.view(user, viewId)) !== null;
  }
  async multiview(user: AuthUser, multiviewId: number): Promise<Multiview | null> {
    const mv = await this.repos.multiviews.get(multiviewId);
    return mv && this.canSeeShared(user, mv) ? mv : null;
  }
  visibleHosts(user: AuthUser): Promise<Host[]> {
    return this.repos.hosts.all(this.hostScope(user));
  }
  visibleViews(user: AuthUser): Promise<View[]> {
    return this.repos.views.all(this.viewScope(user));
  }
  visibleMultiviews(user: AuthUser): Promise<Multiview[]> {
    return this.repos.multiviews.all(this.multiviewScope(user));
  }

  private sharedScope(user: AuthUser, column: string, usersTable: string, groupsTable: string, key: string): Scope {
    if (user.isSuperuser) return EVERYTHING;
    const byUser = `${column} IN (SELECT ${key} FROM ${usersTable} WHERE user_id = ?)`;
    if (!user.groupIds.length) return { sql: byUser, params: [user.id] };
    const groups = inList('group_id', user.groupIds);
    return {
      sql: `${byUser} OR ${column} IN (SELECT ${key} FROM ${groupsTable} WHERE ${groups.sql})`,
      params: [user.id, ...groups.params],
    };
  }
}
