/** The [global] redis_sentinel* keys: defaults, parsing, errors naming the key, the client options they give. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigError } from '../../../common/config/index.js';
import { tempDir } from '../../../common/testing/temp-dir.js';
import { loadStorageConfig, parseSentinelAddress, printableConfig, sentinelAddresses } from '../src/config.js';
import { redisOptions } from '../src/index/redis-client.js';

const temp = await tempDir('config-sentinel');
const dir = temp.dir;
after(() => temp.remove());

function writeConfig(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, ['[global]', ...lines, ''].join('\n'));
  return file;
}

function configWith(file: string, env: NodeJS.ProcessEnv = {}) {
  return loadStorageConfig({ file, fileRequired: true, env });
}

test('sentinel keys: defaults, host:port (and [ipv6]:port) parsing, password hidden, direct mode untouched', () => {
  const plain = configWith(writeConfig('plain.cfg', ['redis_storage_host = redis.example', 'redis_storage_password = m4ster']));
  assert.deepEqual(plain.global.redis_sentinels, []);
  assert.equal(plain.global.redis_sentinel_name, 'mymaster');
  assert.equal(plain.global.redis_sentinel_password, '');
  const direct = redisOptions(plain);
  assert.equal(direct.host, 'redis.example');
  assert.equal(direct.port, 6379);
  assert.equal(direct.sentinels, undefined);

  const file = writeConfig('sentinels.cfg', [
    'redis_sentinels = 10.0.0.1:26379, sentinel-b.example:26380 ,[::1]:26381',
    'redis_sentinel_password = s3ntinel',
    'redis_storage_password = m4ster',
    'redis_storage_db = 3',
  ]);
  const config = configWith(file, { NUMETER_STORAGE_GLOBAL_REDIS_SENTINEL_NAME: 'cache-master' });
  assert.deepEqual(sentinelAddresses(config), [
    { host: '10.0.0.1', port: 26379 },
    { host: 'sentinel-b.example', port: 26380 },
    { host: '::1', port: 26381 },
  ]);
  const options = redisOptions(config);
  assert.deepEqual(options.sentinels, sentinelAddresses(config));
  assert.equal(options.name, 'cache-master');
  assert.equal(options.sentinelPassword, 's3ntinel');
  assert.equal(options.password, 'm4ster');
  assert.equal(options.db, 3);
  const printed = printableConfig(config);
  assert.match(printed, /redis_sentinel_password = \*{8}/);
  assert.doesNotMatch(printed, /s3ntinel/);
  assert.match(printed, /redis_sentinels = 10\.0\.0\.1:26379,sentinel-b\.example:26380,\[::1\]:26381/);
});

test('a bad sentinel address is a config problem naming redis_sentinels and the item', () => {
  for (const bad of ['10.0.0.1', 'host:', 'host:0', 'host:70000', ':26379', 'a b:1', '::1:26379', 'host:26379:1']) {
    assert.equal(parseSentinelAddress(bad), undefined, bad);
  }
  const file = writeConfig('bad-sentinels.cfg', ['redis_sentinels = 10.0.0.1:26379, nohost, host:99999', 'redis_storage_port = x']);
  assert.throws(
    () => configWith(file),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      const sentinelProblems = error.problems.filter((p) => p.includes('redis_sentinels'));
      assert.equal(sentinelProblems.length, 2, error.problems.join('\n'));
      assert.match(sentinelProblems[0], /\[global\] redis_sentinels: "nohost" is not host:port/);
      assert.match(sentinelProblems[1], /"host:99999" is not host:port/);
      assert.ok(error.problems.some((p) => p.includes('redis_storage_port')));
      return true;
    },
  );
});
