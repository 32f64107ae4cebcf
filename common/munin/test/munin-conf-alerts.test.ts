import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../../testing/temp-dir.js';
import { readMuninConf } from '../index.js';

/**
 * munin.conf's alerting lines as the alerting engine gets them: global contacts (also
 * from includedir), a host's `contacts`, and its per-field threshold overrides; wrong
 * values named with file and line, the host still polled.
 */
describe('munin.conf contacts and threshold overrides', () => {
  let dir: string;
  let remove: () => Promise<void>;
  before(async () => {
    ({ dir, remove } = await tempDir('muninconf-alerts'));
  });
  after(async () => remove());

  it('reads contact.* lines, host contacts and plugin.field.warning|critical', async () => {
    await mkdir(join(dir, 'conf.d'));
    const conf = join(dir, 'munin.conf');
    await writeFile(
      conf,
      [
        'contact.ops.command mail -s "Munin ${var:group} :: ${var:host}" ops@example.com',
        'contact.ops.always_send warning critical',
        'contact.ops.max_messages 20',
        'contact.nagios.command /usr/sbin/send_nsca -H nagios.example.com',
        'contact.nagios.text ${var:host} ${var:graph_title}',
        'contact.nagios.custom_flag yes',
        'contact.bad.always_send sometimes',
        'contact.bad.max_messages 0',
        'contact..command nothing',
        'includedir conf.d',
        '[web;node-a.example.com]',
        '  address 10.0.0.1',
        '  contacts ops nagios',
        '  load.load.warning 10',
        '  load.load.critical 20',
        '  diskstats_latency.sda.avgrdwait.warning 0:3',
        '  df._dev_sda1.critical :95',
        '  cpu.user.warning lots',
        '  memory.free.warning 5e8:',
        '  load.graph_title Load (ignored here)',
        '[web;node-b.example.com]',
        '  address 10.0.0.2',
        '  contacts no',
      ].join('\n'),
    );
    await writeFile(join(dir, 'conf.d', 'pager.conf'), 'contact.pager.command /usr/local/bin/page\n[node-c]\n  address 10.0.0.3\n');
    const read = readMuninConf(conf);
    assert.deepEqual(
      read.contacts.map(({ source, ...rest }) => ({ ...rest, source: source.replace(`${dir}/`, '') })),
      [
        {
          name: 'ops',
          command: 'mail -s "Munin ${var:group} :: ${var:host}" ops@example.com',
          alwaysSend: ['warning', 'critical'],
          maxMessages: 20,
          other: {},
          source: 'munin.conf:1',
        },
        {
          name: 'nagios',
          command: '/usr/sbin/send_nsca -H nagios.example.com',
          text: '${var:host} ${var:graph_title}',
          other: { custom_flag: 'yes' },
          source: 'munin.conf:4',
        },
        { name: 'bad', other: {}, source: 'munin.conf:7' },
        { name: 'pager', command: '/usr/local/bin/page', other: {}, source: 'conf.d/pager.conf:1' },
      ],
    );
    const byName = new Map(read.nodes.map((node) => [node.name, node]));
    assert.deepEqual(byName.get('node-a.example.com')?.contacts, ['ops', 'nagios']);
    assert.deepEqual(byName.get('node-b.example.com')?.contacts, []);
    assert.equal(byName.get('node-c')?.contacts, undefined, 'no contacts key: every contact, as munin');
    assert.deepEqual(
      byName.get('node-a.example.com')?.thresholds.map(({ source, ...rest }) => ({ ...rest, line: source.split(':').pop() })),
      [
        { plugin: 'load', field: 'load', warning: '10', critical: '20', line: '14' },
        { plugin: 'diskstats_latency.sda', field: 'avgrdwait', warning: '0:3', line: '16' },
        { plugin: 'df', field: '_dev_sda1', critical: ':95', line: '17' },
        { plugin: 'memory', field: 'free', warning: '5e8:', line: '19' },
      ],
    );
    assert.deepEqual(byName.get('node-b.example.com')?.thresholds, []);
    assert.deepEqual(
      read.problems.map((p) => p.replace(`${dir}/`, '')),
      [
        'munin.conf:7: contact bad: always_send "sometimes" is not one of ok, warning, critical, unknown; ignored',
        'munin.conf:8: contact bad: max_messages "0" is not a positive integer; ignored',
        'munin.conf:9: "contact..command" is not contact.NAME.ATTRIBUTE; ignored',
        'munin.conf:18: warning "lots" is not max, min:max, :max or min:; override ignored',
      ],
    );
    assert.equal(read.nodes.length, 3, 'a wrong override leaves its host polled');
  });
});
