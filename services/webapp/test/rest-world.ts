import assert from 'node:assert/strict';
import { populate } from '../src/populate.js';
import type { Host } from '../src/repos/index.js';
import { addStorage, addUser, createTestEnv, type FixtureStorage, loginAgent, startFixtureStorage, type TestEnv } from './helpers.js';

export type Agent = Awaited<ReturnType<typeof loginAgent>>;

/**
 * The REST tests' world: a fixture storage with hosts web1 (group A) and db1 (group B), populated;
 * users root (superuser), alice (A), bob (B), carol (no group), each logged in.
 */
export interface RestWorld {
  t: TestEnv;
  storage: FixtureStorage;
  root: Agent;
  alice: Agent;
  bob: Agent;
  carol: Agent;
  web1: Host;
  db1: Host;
  groupA: number;
  groupB: number;
  /** Id of the data source host/plugin/ds. */
  src(host: Host, plugin: string, ds: string): Promise<number>;
  close(): Promise<void>;
}

export async function createRestWorld(): Promise<RestWorld> {
  const t = await createTestEnv();
  const storage = await startFixtureStorage();
  const storageId = await addStorage(t.deps, 'main', storage.port);
  const groupA = await t.deps.repos.groups.create('A');
  const groupB = await t.deps.repos.groups.create('B');
  const web1 = (await t.deps.repos.hosts.upsert('web1.example', 'web1', storageId, groupA)).host;
  const db1 = (await t.deps.repos.hosts.upsert('db1.example', 'db1', storageId, groupB)).host;
  const report = await populate(t.deps);
  assert.deepEqual(report.failures, []);
  await addUser(t.deps, 'root', 'root-password', { superuser: true });
  await addUser(t.deps, 'alice', 'alice-password', { groups: [groupA] });
  await addUser(t.deps, 'bob', 'bob-password', { groups: [groupB] });
  await addUser(t.deps, 'carol', 'carol-password');
  const [root, alice, bob, carol] = await Promise.all([
    loginAgent(t.app, 'root', 'root-password'),
    loginAgent(t.app, 'alice', 'alice-password'),
    loginAgent(t.app, 'bob', 'bob-password'),
    loginAgent(t.app, 'carol', 'carol-password'),
  ]);
  return {
    t,
    storage,
    root,
    alice,
    bob,
    carol,
    web1,
    db1,
    groupA,
    groupB,
    async src(host, plugin, ds) {
      const p = (await t.deps.repos.plugins.forHost(host.id)).find((x) => x.name === plugin)!;
      return (await t.deps.repos.sources.forPlugin(p.id)).find((s) => s.name === ds)!.id;
    },
    async close() {
      try {
        await storage.close();
      } finally {
        await t.drop();
      }
    },
  };
}
