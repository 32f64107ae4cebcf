import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DEFAULT_HEARTBEAT_SECONDS } from '../../../common/bus/src/defaults.js';
import { ConfigError } from '../../../common/config/index.js';
import { tempDir } from '../../../common/testing/temp-dir.js';
import { amqpUrl, bindingsFor, legacyAmqpUrl, loadStorageConfig, parseHostList, printableConfig } from '../src/config.js';
import { ORIGINAL_ARCHIVES, RetentionRules, RetentionRulesError } from '../src/persist/retention-rules.js';

const temp = await tempDir('config');
after(() => temp.remove());

/** Calls `fn` with `text` written to `name` in the test's temp dir (each test its own names). */
function withFile(name: string, text: string, fn: (file: string) => void): void {
  const file = join(temp.dir, name);
  writeFileSync(file, text);
  fn(file);
}

test('the original numeter_storage.cfg is read as is (inline ; comments, db, md5 chars) and env overrides it', () => {
  const original = [
    '[global]',
    'enable = true',
    'storage_name = storage1',
    'rpc_hosts = 10.0.0.1:5673, 10.0.0.2',
    'rpc_password = s3cret  ; broker password',
    'redis_storage_host = 127.0.0.1',
    'redis_storage_port = 6379',
    'redis_storage_timeout = 5',
    'redis_storage_db = 2',
    'host_list_file = /etc/numeter/host-list',
    'wsp_path = /var/lib/numeter/wsps',
    'wsp_path_md5_char = 2',
    'wsp_clean_time = 48',
    'wsp_delete = false',
    'log_level = warning',
    'log_level_stdr = critical',
    'log_path = /var/log/numeter/numeter-storage.log',
    '',
  ].join('\n');
  withFile('numeter_storage.cfg', original, (file) => {
    const config = loadStorageConfig({ file, env: { NUMETER_STORAGE_GLOBAL_WSP_PATH: '/srv/wsp', NUMETER_STORAGE_AMQP_PREFETCH: '64' } });
    assert.equal(config.global.storage_name, 'storage1');
    assert.equal(config.global.redis_storage_db, 2);
    assert.equal(config.global.redis_storage_timeout, 5);
    assert.equal(config.global.wsp_path, '/srv/wsp');
    assert.equal(config.amqp.prefetch, 64);
    assert.deepEqual(config.global.rpc_hosts, ['10.0.0.1:5673', '10.0.0.2']);
    assert.equal(amqpUrl(config), 'amqp://guest:s3cret@10.0.0.1:5673/%2F');
    assert.equal(legacyAmqpUrl(config), 'amqp://guest:s3cret@10.0.0.1:5673/%2F');
    const printed = printableConfig(config);
    assert.match(printed, /rpc_password = \*{8}/);
    assert.doesNotMatch(printed, /s3cret/);
    assert.match(printed, /\[api\][^[]*max_points = 200000/);
  });
});

test('every problem is listed at once', () => {
  const bad = [
    '[global]',
    'redis_storage_port = 70000',
    'wsp_path_md5_char = x',
    'colour = blue',
    '[amqp]',
    'queue_type = stream',
    '[cleaning]',
    'enabled = maybe',
  ].join('\n');
  withFile('bad.cfg', bad, (file) => {
    assert.throws(
      () => loadStorageConfig({ file }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const text = error.problems.join('\n');
        for (const key of ['redis_storage_port', 'wsp_path_md5_char', 'colour', 'queue_type', 'enabled'])
          assert.match(text, new RegExp(key));
        assert.equal(error.problems.length, 5);
        return true;
      },
    );
  });
});

test('a named config file that does not exist is an error; the default one may be missing', () => {
  assert.throws(() => loadStorageConfig({ file: '/nonexistent/numeter.cfg', fileRequired: true }), ConfigError);
  assert.equal(loadStorageConfig({ file: '/nonexistent/numeter.cfg', env: {} }).global.wsp_path, '/var/lib/numeter/wsps');
});

test('host list: the original line rule; empty or * binds every host', () => {
  assert.deepEqual(parseHostList('#Poller 123\nhost-a\n  indented\nhost-b   \nwith space\n\nhost-a\n'), ['host-a', 'host-b']);
  assert.deepEqual(bindingsFor(parseHostList('# nothing\n')), ['#']);
  assert.deepEqual(bindingsFor(parseHostList('host-a\n*\n')), ['#']);
  assert.deepEqual(bindingsFor(['h1', 'h2']), ['h1', 'h2']);
  assert.throws(() => parseHostList('ok\nbad\u0001id\n'), /not a safe name/);
});

test('retention and aggregation rules: first match on <plugin>.<ds> wins; default is the original archives', () => {
  const schemas =
    '[fast]\npattern = ^if_\nretentions = 10s:1d,60s:7d\n\n[everything]\npattern = .*\nretentions = 60:1440,300:2016,600:4608,3600:8784\n';
  const aggregation = '[max]\npattern = \\.max$\nxFilesFactor = 0.1\naggregationMethod = max\n';
  withFile('schemas.conf', schemas, (schemasFile) =>
    withFile('aggregation.conf', aggregation, (aggregationFile) => {
      const rules = RetentionRules.fromFiles(schemasFile, aggregationFile);
      assert.deepEqual(rules.schemaFor('if_eth0', 'down').archives, [
        { secondsPerPoint: 10, points: 8640 },
        { secondsPerPoint: 60, points: 10080 },
      ]);
      const maxima = rules.schemaFor('cpu', 'max');
      assert.deepEqual(maxima.archives, ORIGINAL_ARCHIVES);
      assert.equal(maxima.aggregationMethod, 'max');
      assert.equal(maxima.xFilesFactor, 0.1);
      assert.equal(maxima.maxRetention, 3600 * 8784);
    }),
  );
  const none = new RetentionRules();
  assert.deepEqual(none.schemaFor('load', 'load'), {
    archives: ORIGINAL_ARCHIVES,
    aggregationMethod: 'average',
    xFilesFactor: 0.5,
    maxRetention: 31_622_400,
  });
  withFile('bad.conf', '[a]\npattern = (\nretentions = 60:10\n[b]\npattern = x\nretentions = 60:10,60:20\n', (file) => {
    assert.throws(
      () => RetentionRules.fromFiles(file, ''),
      (error: unknown) => error instanceof RetentionRulesError && error.problems.length === 2,
    );
  });
});

test('the AMQP heartbeat defaults to the one default of common/bus, the poller’s too', () => {
  const config = loadStorageConfig({ file: '/nonexistent/numeter_storage.cfg', env: {} });
  assert.equal(config.amqp.heartbeat, DEFAULT_HEARTBEAT_SECONDS);
  assert.equal(config.amqp.heartbeat, 30);
});
