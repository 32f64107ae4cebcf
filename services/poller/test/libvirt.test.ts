import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../../common/logging/index.js';
import { type DataMessage, type HostInfoMessage, Message } from '../../../common/schemas/index.js';
import { type TempDir, tempDir } from '../../../common/testing/temp-dir.js';
import { MemorySink } from '../src/delivery/sinks.js';
import { LibvirtModule, parseLibvirtSettings } from '../src/modules/libvirt/module.js';
import type { Collection, PluginDescription } from '../src/modules/types.js';
import { PollCycle } from '../src/polling/poll-cycle.js';
import { RateStateFile } from '../src/rates/state-file.js';

/** Debian's real virsh with libvirt's test driver (no daemon): a node of three VMs described in XML. */
const NODE_XML = join(import.meta.dirname, 'fixtures', 'libvirt', 'node.xml');
const WEB1 = '11111111-1111-4111-8111-111111111111';
const WEBDOT1 = '33333333-3333-4333-8333-333333333333';
const DB = '22222222-2222-4222-8222-222222222222';
let temp: TempDir;
let dir: string;

const plugin = (c: Collection, name: string, hostId?: string) =>
  c.plugins?.find((p) => p.plugin === name && p.hostId === hostId) as PluginDescription;
const values = (c: Collection, name: string, hostId?: string) =>
  c.samples.find((s) => s.plugin === name && s.hostId === hostId)?.values ?? {};
const moduleFor = (uri: string, stateName: string, extra: Record<string, string> = {}) =>
  new LibvirtModule({ settings: parseLibvirtSettings({ uri, ...extra }), hostId: 'hv-1', stateDir: join(dir, stateName) });

describe('libvirt module against virsh and the test driver', () => {
  before(async () => {
    temp = await tempDir('libvirt');
    dir = temp.dir;
  });
  after(async () => {
    await temp.remove();
  });

  let first: Collection;
  it('discovers running and stopped VMs, maps untrusted names to safe fields and keeps real names in labels', async () => {
    first = await moduleFor(`test://${NODE_XML}`, 'a', { vm_hosts: 'yes' }).collect({ nowSeconds: 1_800_000_000, wantInfo: true });
    assert.deepEqual(first.errors, []);
    const cpu = plugin(first, 'libvirt_cpu');
    // "web-1" and "web.1" both map to web_1: the second gets a suffix derived from its UUID.
    assert.deepEqual(Object.keys(cpu.fields).sort(), ['db__prod____1', 'web_1', 'web_1_f6222a']);
    assert.equal(cpu.fields.web_1.label, 'web-1');
    assert.equal(cpu.fields.web_1_f6222a.label, 'web.1');
    assert.equal(cpu.fields.db__prod____1.label, 'db "prod" é 1');
    assert.deepEqual(values(first, 'libvirt_vcpus'), { db__prod____1: 4, web_1: 2, web_1_f6222a: 1 });
    assert.deepEqual(
      values(first, 'libvirt_cpu'),
      { db__prod____1: null, web_1: null, web_1_f6222a: null },
      'no percentage before a second poll',
    );
    assert.deepEqual(values(first, 'libvirt_memory'), { db__prod____1: 0, web_1: 1024 ** 3, web_1_f6222a: 1024 ** 3 });
    assert.deepEqual(values(first, 'libvirt_host_vms'), {
      nostate: 0,
      running: 2,
      blocked: 0,
      paused: 0,
      shutdown: 0,
      shutoff: 1,
      crashed: 0,
      pmsuspended: 0,
      total: 3,
    });
    assert.deepEqual(values(first, 'libvirt_host_cpus'), { allocated: 3, defined: 7, physical: 8 });
    assert.deepEqual(values(first, 'libvirt_host_memory'), { allocated: 2 * 1024 ** 3, defined: 7 * 1024 ** 3, physical: 16 * 1024 ** 3 });
  });

  it('reads disk and network counters per VM (summed over devices) and per device, as DERIVE', async () => {
    const disk = plugin(first, 'libvirt_disk_bytes');
    assert.equal(disk.fields.web_1_read.type, 'DERIVE');
    assert.equal(disk.fields.web_1_write.negative, 'web_1_read');
    const diskValues = values(first, 'libvirt_disk_bytes');
    assert.ok((diskValues.web_1_read as number) > 0 && (diskValues.web_1_write as number) > 0);
    assert.equal(diskValues.db__prod____1_read, null, 'a stopped VM has no I/O');
    const perDevice = values(first, 'libvirt_net_devices');
    assert.deepEqual(Object.keys(perDevice).sort(), ['web_1_testnet0_in', 'web_1_testnet0_out', 'web_1_testnet1_in', 'web_1_testnet1_out']);
    const net = values(first, 'libvirt_net_bytes');
    // The test driver's counters move with the clock: the sum lies between twice the first and twice the last device read.
    const devices = [perDevice.web_1_testnet0_in, perDevice.web_1_testnet1_in] as number[];
    assert.ok(Math.abs((net.web_1_in as number) - 2 * devices[0]) < 1e12, `${net.web_1_in} vs ${devices}`);
    assert.equal(plugin(first, 'libvirt_net_packets').fields.web_1_out.type, 'DERIVE');
  });

  it('announces each VM as its own host when vm_hosts = yes', () => {
    assert.deepEqual(
      first.hosts?.map((h) => [h.hostId, h.name]).sort(),
      [
        [`vm-${WEB1}`, 'web-1'],
        [`vm-${DB}`, 'db "prod" é 1'],
        [`vm-${WEBDOT1}`, 'web.1'],
      ].sort(),
    );
    assert.deepEqual(values(first, 'vm_memory', `vm-${WEB1}`), { assigned: 1024 ** 3, used: null, maximum: 2 * 1024 ** 3 });
    assert.ok(plugin(first, 'vm_net_bytes', `vm-${WEB1}`).fields.out.negative === 'in');
  });

  it('reads resident memory where the driver reports it (test:///default)', async () => {
    const collection = await moduleFor('test:///default', 'b').collect({ nowSeconds: 1_800_000_000, wantInfo: true });
    assert.deepEqual(collection.errors, []);
    assert.deepEqual(values(collection, 'libvirt_memory_used'), { test: 1048576 * 1024 });
    assert.deepEqual(values(collection, 'libvirt_memory'), { test: 2097152 * 1024 });
  });

  it('produces valid v1 messages through the poll cycle, VM hosts included', async () => {
    const sink = new MemorySink();
    const rates = new RateStateFile({ file: join(dir, 'rates.json'), logger: silentLogger() });
    const cycle = new PollCycle({
      self: { hostId: 'hv-1', name: 'hypervisor' },
      modules: [moduleFor(`test://${NODE_XML}`, 'c', { vm_hosts: 'yes' })],
      sink,
      rates,
      refreshSeconds: 300,
      heartbeatSeconds: 600,
      maxPointsPerMessage: 500,
      logger: silentLogger(),
      nowSeconds: () => 1_800_000_000,
    });
    await cycle.run();
    for (const message of sink.messages) assert.ok(Message.safeParse(message).success, JSON.stringify(message).slice(0, 300));
    const hosts = sink.messages.filter((m): m is HostInfoMessage => m.kind === 'host').map((m) => m.hostId);
    assert.ok(hosts.includes(`vm-${DB}`) && hosts.includes('hv-1'));
    const data = sink.messages.filter((m): m is DataMessage => m.kind === 'data' && m.hostId === 'hv-1');
    const vcpus = data.flatMap((m) => m.points).find((p) => p.plugin === 'libvirt_vcpus');
    assert.deepEqual(vcpus?.values, { db__prod____1: 4, web_1: 2, web_1_f6222a: 1 });
  });

  it('reports an unreachable hypervisor as an error line without throwing', async () => {
    const collection = await moduleFor('test:///nonexistent/node.xml', 'd').collect({ nowSeconds: 1_800_000_000, wantInfo: true });
    assert.deepEqual(collection.samples, []);
    assert.match(collection.errors?.[0] ?? '', /^libvirt test:\/\/\/nonexistent\/node.xml: virsh list failed: /);
  });
});
