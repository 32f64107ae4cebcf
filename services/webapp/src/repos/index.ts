import type { Pool } from 'mysql2/promise';
import { GroupRepo, TokenRepo, UserRepo } from './accounts.js';
import { AlertingRepo } from './alerting.js';
import { EventRepo, SkeletonRepo } from './catalog.js';
import { HostRepo, PluginRepo, SourceRepo } from './inventory.js';
import { StorageRepo } from './storages.js';
import { MultiviewRepo, ViewRepo } from './views.js';

export type { Group, Token, User } from './accounts.js';
export type { AlertHistoryRow, AlertStateRow, SeriesRef, Subscription } from './alerting.js';
export type { AlertRule, Contact, NewContact, NewSilence, Silence } from './alerting-config.js';
export type { Event, Skeleton, SkeletonPart } from './catalog.js';
export type { Host, Plugin, Source, SourcePath } from './inventory.js';
export type { Storage } from './storages.js';
export type { Multiview, View } from './views.js';

export interface Repositories {
  users: UserRepo;
  groups: GroupRepo;
  tokens: TokenRepo;
  storages: StorageRepo;
  hosts: HostRepo;
  plugins: PluginRepo;
  sources: SourceRepo;
  views: ViewRepo;
  multiviews: MultiviewRepo;
  skeletons: SkeletonRepo;
  events: EventRepo;
  alerting: AlertingRepo;
}

export function createRepositories(pool: Pool, now: () => Date): Repositories {
  return {
    users: new UserRepo(pool, now),
    groups: new GroupRepo(pool),
    tokens: new TokenRepo(pool, now),
    storages: new StorageRepo(pool),
    hosts: new HostRepo(pool),
    plugins: new PluginRepo(pool),
    sources: new SourceRepo(pool),
    views: new ViewRepo(pool),
    multiviews: new MultiviewRepo(pool),
    skeletons: new SkeletonRepo(pool),
    events: new EventRepo(pool),
    alerting: new AlertingRepo(pool, now),
  };
}
