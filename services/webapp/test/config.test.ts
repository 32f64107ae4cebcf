import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../../common/config/index.js';
import { loadWebappConfig, logFile } from '../src/config.js';

const ORIGINAL = fileURLToPath(new URL('./fixtures/original_numeter_webapp.cfg', import.meta.url));

describe('webapp configuration', () => {
  it("loads the original Numeter's numeter_webapp.cfg unchanged", () => {
    const config = loadWebappConfig(ORIGINAL, true, {});
    assert.deepEqual(
      { ...config.database, connection_limit: undefined },
      {
        engine: 'django.db.backends.mysql',
        host: 'localhost',
        port: 3306,
        user: 'numeter',
        password: 'secret',
        name: 'numeter',
        connection_limit: undefined,
      },
    );
    assert.equal(config.storage.timeout, 5);
    assert.equal(logFile(config), '/var/log/numeter/webapp/info.log');
  });

  it('refuses a database engine other than MySQL/MariaDB, naming the key', () => {
    assert.throws(
      () => loadWebappConfig(undefined, false, { NUMETER_WEBAPP_DATABASE_ENGINE: 'django.db.backends.postgresql' }),
      (e: unknown) => e instanceof ConfigError && /\[database\] engine: only MySQL\/MariaDB/.test(e.message),
    );
  });

  it('refuses a log level pino does not know, naming the key and the levels', () => {
    assert.throws(
      () => loadWebappConfig(undefined, false, { NUMETER_WEBAPP_LOGGING_LEVEL: 'loud' }),
      (e: unknown) => e instanceof ConfigError && /\[logging\] level/.test(e.message) && /debug/.test(e.message),
    );
    assert.equal(loadWebappConfig(undefined, false, { NUMETER_WEBAPP_LOGGING_LEVEL: 'debug' }).logging.level, 'debug');
  });

  it('prefers [logging] file over the original info_file', () => {
    const config = loadWebappConfig(ORIGINAL, true, { NUMETER_WEBAPP_LOGGING_FILE: '/tmp/numeter-webapp.log' });
    assert.equal(logFile(config), '/tmp/numeter-webapp.log');
  });
});
