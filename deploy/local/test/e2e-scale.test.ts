/**
 * Scale-out on one machine, through startStack() as `npm start` does: two storages with
 * different host lists on one broker (one with a classic queue, one with the quorum queue a
 * RabbitMQ cluster uses), both registered in one webapp; each poller's data lands in its
 * storage only, and the webapp finds each host's data in the right one.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { storageQueueName } from '../../../common/bus/index.js';
import { getJson, waitFor } from '../stack/probes.js';
import { e2eName, startTestStack, storageNamed, type TestStack } from './fixtures.js';

const run = promisify(execFile);

describe('scale-out: two storages, one broker, one webapp', () => {
  let t: TestStack;
  const hostA = e2eName('host-a');
  const hostB = e2eName('host-b');

  before(async () => {
    t = await startTestStack({
      storages: [
        { name: 'st-a', hostList: [hostA] },
        // the cluster setting: a replicated quorum queue (one node here, same declarations)
        { name: 'st-b', hostList: [hostB], extra: { amqp: { queue_type: 'quorum' } } },
      ],
      pollers: [
        { name: 'a', hostId: hostA, modules: 'system', pollerTime: 1 },
        { name: 'b', hostId: hostB, modules: 'system', pollerTime: 1 },
      ],
    });
  });

  after(async () => {
    await t?.cleanup();
  });

  test('each storage holds only the hosts of its list; the webapp serves both hosts from the right storage', async () => {
    const a = t.stack.storages.get(storageNamed(t, 'st-a'))!;
    const b = t.stack.storages.get(storageNamed(t, 'st-b'))!;
    const hostsOf = async (url: string) => Object.keys((await getJson<Record<string, unknown>>(`${url}/hosts`)).body).sort();
    assert.deepEqual(await hostsOf(a.apiUrl), [hostA]);
    assert.deepEqual(await hostsOf(b.apiUrl), [hostB]);
    const { stdout } = await run('rabbitmqctl', ['-q', 'list_queues', '-p', t.vhost.name, 'name', 'type']);
    const types = Object.fromEntries(
      stdout
        .trim()
        .split('\n')
        .map((line) => line.trim().split(/\s+/)),
    );
    process.stdout.write(`  measured: queue types ${JSON.stringify(types)}\n`);
    assert.equal(types[storageQueueName(a.spec.name)], 'classic');
    assert.equal(types[storageQueueName(b.spec.name)], 'quorum');

    const token = (await t.stack.webappCli(['token', 'add', '-u', 'admin', '-n', 'scale'])).trim().split('\n').pop() ?? '';
    const auth = { Authorization: `Bearer ${token}` };
    const storages = await getJson<{ results: Array<{ id: number; name: string }> }>(`${t.stack.webappUrl}/rest/storages`, auth);
    assert.deepEqual(
      storages.body.results.map((s) => s.name).sort(),
      [a.spec.name, b.spec.name].sort(),
      'both storages registered in the webapp',
    );
    const hosts = await getJson<{ results: Array<{ id: number; hostid: string; storage: number | null }> }>(
      `${t.stack.webappUrl}/rest/hosts?page_size=100`,
      auth,
    );
    const byStorage = new Map(storages.body.results.map((s) => [s.id, s.name]));
    for (const [hostId, storage] of [
      [hostA, a],
      [hostB, b],
    ] as const) {
      const host = hosts.body.results.find((h) => h.hostid === hostId);
      assert.ok(host, `${hostId} imported`);
      if (host.storage !== undefined && host.storage !== null) assert.equal(byStorage.get(host.storage), storage.spec.name);
      const plugins = Object.keys((await getJson<Record<string, unknown>>(`${storage.apiUrl}/list?host=${hostId}`)).body);
      const plugin = plugins.includes('load') ? 'load' : plugins[0];
      const data = await waitFor(
        `data of ${hostId} through the webapp`,
        async () => {
          const r = await getJson<{ datas: { DATAS: Record<string, Array<number | null>> } }>(
            `${t.stack.webappUrl}/rest/hosts/${host.id}/plugin_extended_data?plugin=${plugin}&res=Hourly`,
            auth,
          );
          return r.status === 200 && Object.values(r.body.datas.DATAS).some((values) => values.some((v) => v !== null))
            ? r.body
            : undefined;
        },
        20_000,
        500,
      );
      process.stdout.write(
        `  measured: ${hostId} → storage ${storage.spec.name}: ${plugins.length} plugins; webapp ${plugin} series ${Object.keys(data.datas.DATAS).length}\n`,
      );
    }
  });
});
