import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import { tempDir } from '../../../../common/testing/temp-dir.js';
import { shellWords } from '../../src/alerting/delivery/munin-contacts.js';
import { runCliInProcess } from '../helpers.js';
import { type OutboxWorld, outboxWorld } from './world.js';

const CONF = String.raw`
dbdir /var/lib/munin
contact.ops.command mail -s "Munin ${'$'}{var:worst}: ${'$'}{var:group}::${'$'}{var:host}::${'$'}{var:plugin}" ops@example.org
contact.ops.text ${'$'}{var:host} :: ${'$'}{var:graph_title}\n\t${'$'}{var:worst}
contact.piped.command | /usr/bin/logger -t 'munin alerts'
contact.shelly.command cat > /tmp/x; rm -rf /
contact.envy.command echo $HOME
contact.loopy.command /usr/bin/logger
contact.loopy.text ${'$'}{loop<,>:cfields ${'$'}{var:label}}
contact.loopy.always_send critical

[web1.example]
  address 127.0.0.1
  contacts ops
`;

interface ContactView {
  name: string;
  enabled: number;
  settings: { argv: string[] };
}

describe('numeter-webapp import-munin-contacts', () => {
  let world: OutboxWorld;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let conf: string;
  const saved = { ...process.env };
  before(async () => {
    world = await outboxWorld();
    dir = await tempDir('munin-contacts');
    conf = join(dir.dir, 'munin.conf');
    writeFileSync(conf, CONF);
    process.env.NUMETER_WEBAPP_DATABASE_USER = 'root';
    process.env.NUMETER_WEBAPP_DATABASE_NAME = world.config.database.name;
  });
  after(async () => {
    process.env = saved;
    await dir.remove();
    await world.drop();
  });

  const contacts = async () => {
    const [rows] = await world.pool.query<RowDataPacket[]>(
      'SELECT name, kind, settings, enabled, min_state, group_id, user_id FROM contacts ORDER BY name',
    );
    return rows.map((r) => ({ ...r, settings: typeof r.settings === 'string' ? JSON.parse(r.settings) : r.settings }) as ContactView);
  };

  it('imports commands as argv without a shell, refuses what needs one, names every problem, and is idempotent', async () => {
    const first = await runCliInProcess('import-munin-contacts', '--conf', conf);
    assert.equal(first.code, 0, first.message);
    assert.ok(first.lines.includes('3 created, 0 updated, 0 unchanged'), first.lines.join('\n'));
    const warnings = first.lines.filter((l) => l.startsWith('warning: '));
    assert.ok(warnings.some((w) => /contact shelly: uses ">", which needs a shell; skipped/.test(w)));
    assert.ok(warnings.some((w) => /contact envy: uses "\$HOME", which needs a shell; skipped/.test(w)));
    assert.ok(!warnings.some((w) => /contact loopy: text/.test(w)), "munin's loops are expanded: the text is imported");
    assert.ok(warnings.some((w) => /contact loopy: always_send is not imported/.test(w)));
    assert.ok(warnings.some((w) => /host web1\.example limits its contacts \(ops\)/.test(w)));
    assert.ok(
      warnings.every((w) => /munin\.conf:\d+/.test(w)),
      'each warning names file and line',
    );
    assert.deepEqual(await contacts(), [
      {
        name: 'munin-loopy',
        kind: 'command',
        settings: { kind: 'command', argv: ['/usr/bin/logger'], text: '${loop<,>:cfields ${var:label}}' },
        enabled: 1,
        min_state: 'UNKNOWN',
        group_id: null,
        user_id: null,
      },
      {
        name: 'munin-ops',
        kind: 'command',
        settings: {
          kind: 'command',
          argv: ['mail', '-s', 'Munin ${var:worst}: ${var:group}::${var:host}::${var:plugin}', 'ops@example.org'],
          text: '${var:host} :: ${var:graph_title}\\n\\t${var:worst}',
        },
        enabled: 1,
        min_state: 'UNKNOWN',
        group_id: null,
        user_id: null,
      },
      {
        name: 'munin-piped',
        kind: 'command',
        settings: { kind: 'command', argv: ['/usr/bin/logger', '-t', 'munin alerts'] },
        enabled: 1,
        min_state: 'UNKNOWN',
        group_id: null,
        user_id: null,
      },
    ]);
    const again = await runCliInProcess('import-munin-contacts', '--conf', conf);
    assert.ok(again.lines.includes('0 created, 0 updated, 3 unchanged'), again.lines.join('\n'));

    await world.pool.query("UPDATE contacts SET enabled = FALSE WHERE name = 'munin-piped'");
    writeFileSync(conf, CONF.replace("'munin alerts'", 'numeter'));
    const dry = await runCliInProcess('import-munin-contacts', '--conf', conf, '--dry-run');
    assert.ok(dry.lines.includes('would be updated: munin-piped'), dry.lines.join('\n'));
    assert.deepEqual((await contacts()).find((c) => c.name === 'munin-piped')?.settings.argv, ['/usr/bin/logger', '-t', 'munin alerts']);
    const changed = await runCliInProcess('import-munin-contacts', '--conf', conf);
    assert.ok(changed.lines.includes('0 created, 1 updated, 2 unchanged'), changed.lines.join('\n'));
    const piped = (await contacts()).find((c) => c.name === 'munin-piped');
    assert.deepEqual(piped?.settings.argv, ['/usr/bin/logger', '-t', 'numeter']);
    assert.equal(piped?.enabled, 0, 'what the webapp set is kept');
  });

  it('a missing file is a usage error naming it', async () => {
    const r = await runCliInProcess('import-munin-contacts', '--conf', join(dir.dir, 'nope.conf'));
    assert.equal(r.code, 2);
    assert.match(r.message, /nope\.conf: no such file/);
  });

  it('splits words as sh does', () => {
    assert.deepEqual(shellWords(`a 'b c' "d \\"e\\" \${var:host}" f\\ g`), ['a', 'b c', 'd "e" ${var:host}', 'f g']);
    assert.deepEqual(shellWords(`x ''`), ['x', '']);
    assert.equal(shellWords('a "b'), 'an unterminated double quote');
    assert.equal(shellWords('a `id`'), 'uses "`", which needs a shell');
    assert.equal(shellWords('a "$(id)"'), 'uses "$(id)" inside double quotes, which needs a shell');
    assert.equal(shellWords('rm *'), 'uses the glob or tilde "*", which needs a shell');
  });
});
