import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../../common/logging/index.js';
import { tempDir } from '../../../common/testing/temp-dir.js';
import { loadPollerConfig, printableConfig } from '../src/config/schema.js';
import { createModules } from '../src/modules/registry.js';
import { parseSnmpSettings, SnmpConfigError } from '../src/modules/snmp/config.js';
import { SnmpPduModule } from '../src/modules/snmp/module.js';
import type { Collection } from '../src/modules/types.js';
import { type RunningSnmpd, startSnmpd, V3_USER } from './peers/snmp/snmpd.js';

/** Against Debian's real snmpd on udp 127.0.0.1:26161 serving APC rPDU objects from files. */
const PORT = 26161;
const CLOSED_PORT = 26169;
let agent: RunningSnmpd;

const NOW = 1_800_000_000;
const moduleFor = (ini: Record<string, Record<string, string>>, module: Record<string, string> = { timeout: '0.5', retries: '0' }) =>
  new SnmpPduModule(parseSnmpSettings(module, ini));
const rack = (extra: Record<string, string> = {}) => ({
  host: '127.0.0.1',
  port: String(PORT),
  community: 'public',
  model: 'apc-rpdu',
  phases: '1',
  voltage: '230',
  'outlet.3': 'web-1',
  'outlet.4': 'web-1',
  'outlet.5': 'db-1',
  ...extra,
});
const values = (c: Collection, plugin: string, hostId: string) => c.samples.find((s) => s.plugin === plugin && s.hostId === hostId)?.values;

describe('SNMP PDU module against a real snmpd', () => {
  before(async () => {
    agent = await startSnmpd(PORT);
  });
  after(async () => {
    await agent?.stop();
  });

  it('publishes each machine its watts (outlets summed) and the PDU its totals, following the agent between polls', async () => {
    await agent.set({ watts: 1500, phase_1: 64, outlet_3: 12, outlet_4: 5, outlet_5: 20 });
    const module = moduleFor({ 'pdu:rack1': rack() });
    const first = await module.collect({ nowSeconds: NOW, wantInfo: true });
    assert.deepEqual(first.errors, []);
    assert.deepEqual(values(first, 'power', 'web-1'), { watts: 391 }, '(1.2 A + 0.5 A) × 230 V');
    assert.deepEqual(values(first, 'power', 'db-1'), { watts: 460 });
    assert.deepEqual(values(first, 'pdu_power', 'pdu-rack1'), { watts: 1500 });
    assert.deepEqual(values(first, 'pdu_phases', 'pdu-rack1'), { phase1: 6.4 });
    assert.deepEqual(values(first, 'pdu_outlets', 'pdu-rack1'), { outlet_3: 276, outlet_4: 115, outlet_5: 460 });
    assert.deepEqual(first.hosts, [{ hostId: 'pdu-rack1', name: 'PDU rack1', description: 'apc-rpdu PDU at 127.0.0.1:26161 (SNMP v2c)' }]);
    const power = first.plugins?.find((p) => p.plugin === 'power' && p.hostId === 'web-1');
    assert.deepEqual(power?.fields, { watts: { label: 'power', type: 'GAUGE', min: 0, draw: 'AREA' } });
    assert.equal(first.plugins?.find((p) => p.plugin === 'pdu_outlets')?.fields.outlet_3.label, 'outlet 3: web-1');

    await agent.set({ watts: 900, outlet_3: 30, outlet_5: '' });
    const second = await module.collect({ nowSeconds: NOW + 60, wantInfo: false });
    assert.deepEqual(values(second, 'power', 'web-1'), { watts: 805 });
    assert.deepEqual(values(second, 'power', 'db-1'), { watts: null }, 'an outlet the PDU no longer reports is unknown');
    assert.deepEqual(values(second, 'pdu_power', 'pdu-rack1'), { watts: 900 });
  });

  it('speaks SNMP v1 (a missing OID does not hide the others) and v3 with authentication and privacy', async () => {
    await agent.set({ watts: 700, outlet_3: 10, outlet_4: 10, outlet_5: '' });
    const v1 = await moduleFor({ 'pdu:old': rack({ version: '1' }) }).collect({ nowSeconds: NOW, wantInfo: true });
    assert.deepEqual(v1.errors, []);
    assert.deepEqual(values(v1, 'pdu_power', 'pdu-old'), { watts: 700 });
    assert.deepEqual(values(v1, 'power', 'web-1'), { watts: 460 });
    assert.deepEqual(values(v1, 'power', 'db-1'), { watts: null });
    const v3 = await moduleFor({
      'pdu:secure': rack({
        version: '3',
        user: V3_USER.name,
        auth_protocol: 'sha',
        auth_key: V3_USER.authKey,
        priv_protocol: 'aes',
        priv_key: V3_USER.privKey,
        host_id: 'pdu-secure-7',
      }),
    }).collect({ nowSeconds: NOW, wantInfo: true });
    assert.deepEqual(v3.errors, []);
    assert.deepEqual(values(v3, 'pdu_power', 'pdu-secure-7'), { watts: 700 });
  });

  it('reads a generic OID list with scales', async () => {
    await agent.set({ watts: 321, phase_1: 55 });
    const collection = await moduleFor({
      'pdu:gen': {
        host: '127.0.0.1',
        port: String(PORT),
        model: 'generic',
        'oid.watts': '.1.3.6.1.4.1.318.1.1.12.1.16.0',
        'oid.inlet amps': '.1.3.6.1.4.1.318.1.1.12.2.3.1.1.2.1',
        'scale.inlet amps': '0.1',
        'oid.outlet_watts': '.1.3.6.1.4.1.318.1.1.12.3.5.1.1.7.{n}',
        'outlet.4': 'web-1',
      },
    }).collect({ nowSeconds: NOW, wantInfo: true });
    assert.deepEqual(collection.errors, []);
    assert.deepEqual(values(collection, 'pdu_power', 'pdu-gen'), { watts: 321 });
    assert.deepEqual(values(collection, 'pdu_oids', 'pdu-gen'), { inlet_amps: 5.5 });
    assert.equal(collection.plugins?.find((p) => p.plugin === 'pdu_oids')?.fields.inlet_amps.label, 'inlet amps');
    assert.deepEqual(values(collection, 'power', 'web-1'), { watts: 10 }, 'outlet_watts is taken as watts (no voltage)');
  });

  it('gives unknown values and an error line for a PDU that does not answer or refuses the community, without holding up the others', async () => {
    await agent.set({ watts: 1000, outlet_3: 10, outlet_4: 0 });
    const module = moduleFor({
      'pdu:rack1': rack(),
      'pdu:dead': { host: '127.0.0.1', port: String(CLOSED_PORT), 'outlet.1': 'app-1' },
      'pdu:wrongcommunity': rack({ community: 'not-public', 'outlet.3': 'app-2', 'outlet.4': 'app-2', 'outlet.5': 'app-3' }),
    });
    const started = Date.now();
    const collection = await module.collect({ nowSeconds: NOW, wantInfo: true });
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 2000, `polled in ${elapsed} ms with a 0.5 s timeout, PDUs concurrently`);
    assert.deepEqual(values(collection, 'power', 'web-1'), { watts: 230 });
    assert.deepEqual(values(collection, 'power', 'app-1'), { watts: null });
    assert.deepEqual(values(collection, 'power', 'app-2'), { watts: null });
    assert.deepEqual(values(collection, 'pdu_power', 'pdu-dead'), { watts: null });
    assert.deepEqual(values(collection, 'pdu_power', 'pdu-wrongcommunity'), { watts: null });
    const errors = (collection.errors ?? []).join('\n');
    assert.match(errors, /snmp: PDU dead \(127\.0\.0\.1:26169\): /);
    assert.match(
      errors,
      /snmp: PDU wrongcommunity \(127\.0\.0\.1:26161\): no answer after 1 tries of 500 ms \(down, or wrong community\/credentials\?\)/,
    );
    assert.equal(module.stats().pduFailures, 2);
  });

  it('lists every configuration problem at once', () => {
    assert.throws(
      () =>
        parseSnmpSettings(
          { timeout: '0' },
          { 'pdu:a': { port: '70000', version: '4', model: 'nope', 'outlet.2': '../etc', 'oid.watts': 'abc' } },
        ),
      (error: unknown) => {
        assert.ok(error instanceof SnmpConfigError);
        for (const part of [
          'timeout "0"',
          'host is missing',
          'port "70000"',
          'version "4"',
          'model "nope"',
          'outlet.2: "../etc" is not a safe host ID',
          'oid.watts: "abc" is not a numeric OID',
        ])
          assert.ok(error.message.includes(part), `${part} in ${error.message}`);
        return true;
      },
    );
    assert.throws(() => parseSnmpSettings({}, {}), /no \[PDU:<name>\] section/);
  });
});

describe('registration of the libvirt, snmp and netlatency modules', () => {
  it('builds them from [global] modules with their own sections, and masks SNMP secrets in --print-config', async () => {
    const temp = await tempDir('snmp-config');
    const dir = temp.dir;
    try {
      const file = join(dir, 'poller.cfg');
      const ini = [
        '[global]',
        'modules = libvirt|snmp|netlatency',
        '[LibvirtModule]',
        'uri = test:///default',
        '[SnmpModule]',
        'timeout = 1',
        '[PDU:rack1]',
        'host = 127.0.0.1',
        'community = s3cret-community',
        'outlet.3 = web-1',
        '[PDU:secure]',
        'host = 127.0.0.1',
        'version = 3',
        'user = numeter',
        'auth_key = s3cret-auth',
        'priv_key = s3cret-priv',
        '[NetLatencyModule]',
        'peer.gw = 127.0.0.1:9',
      ].join('\n');
      await writeFile(file, `${ini}\n`);
      const config = loadPollerConfig({ file, fileRequired: true, env: {} });
      const modules = await createModules(config, { hostId: 'h1', stateDir: dir, logger: silentLogger(), nowSeconds: () => 1_800_000_000 });
      assert.deepEqual(
        modules.map((m) => m.name),
        ['libvirt', 'snmp', 'netlatency'],
      );
      const printed = printableConfig(config);
      assert.ok(!printed.includes('s3cret'), printed);
      const libvirt = await modules[0].collect({ nowSeconds: 1_800_000_000, wantInfo: true });
      assert.deepEqual(libvirt.samples.find((s) => s.plugin === 'libvirt_vcpus')?.values, { test: 2 });
    } finally {
      await temp.remove();
    }
  });
});
