/**
 * The deployment files checked against the code they deploy: the generated configuration
 * reference and example configs, the compose file and Dockerfile (YAML/static checks: no
 * Docker engine here), the systemd units (their ExecStart run for real with --print-config),
 * and the RabbitMQ definitions (imported into a vhost of the test's own, then declared over
 * with the code's own topology functions: a mismatch is a PRECONDITION_FAILED).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { parse as parseYaml } from 'yaml';
import {
  ALERTING_QUEUE,
  alertingQueueLimitArguments,
  DEAD_LETTER_EXCHANGE,
  DEAD_QUEUE,
  deadQueueArguments,
  declareConsumerQueue,
  declareDeadLetter,
  declareExchange,
  EXCHANGE,
  EXCHANGE_TYPE,
  queueArguments,
  storageQueueName,
} from '../../common/bus/index.js';
import { LIMITS } from '../../common/schemas/index.js';
import { launcherFlags } from '../../common/testing/launcher-flags.js';
import { generatedFiles, missingDescriptions, staleDescriptions } from '../docs/config-reference.js';
import { environmentVariables, type ServiceConfigInfo, serviceConfigs } from '../docs/services.js';

const run = promisify(execFile);
const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const services = serviceConfigs();
const service = (name: string) => services.find((s) => s.name === name) as ServiceConfigInfo;

describe('configuration reference and example configs', () => {
  test('every key the services know has a description, and no description is stale', () => {
    assert.deepEqual(missingDescriptions(services), [], 'add the keys to deploy/docs/descriptions.ts');
    assert.deepEqual(staleDescriptions(services), [], 'remove these from deploy/docs/descriptions.ts');
  });

  test('docs/configuration.md and deploy/config/*.cfg are what the generator makes from the schemas', () => {
    for (const [path, text] of Object.entries(generatedFiles(services))) {
      assert.equal(read(path), text, `${path} is stale: run node --import tsx deploy/docs/config-reference.ts --write`);
    }
  });

  for (const s of services) {
    test(`deploy/config/numeter_${s.name}.cfg lists every key and parses with the ${s.name}'s own loader, commented and uncommented`, () => {
      const file = join(ROOT, `deploy/config/numeter_${s.name}.cfg`);
      const text = readFileSync(file, 'utf8');
      for (const keys of Object.values(s.knownKeys))
        for (const key of keys) assert.match(text, new RegExp(`^#${key} =`, 'm'), `${key} is in the example`);
      s.load(file);
      const dir = mkdtempSync(join(tmpdir(), 'numeter-cfg-'));
      try {
        // Every default written out explicitly must be accepted too (machine-dependent ones stay commented).
        const uncommented = text.replace(/^#([a-z_]+ = (?!\().*)$/gm, '$1');
        writeFileSync(join(dir, 'all.cfg'), uncommented);
        s.load(join(dir, 'all.cfg'));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('docker-compose.yml and Dockerfile', () => {
  const compose = parseYaml(read('docker-compose.yml')) as {
    services: Record<string, Record<string, unknown>>;
    volumes: Record<string, unknown>;
  };
  /** `${VAR:-default}` as compose would interpolate it with VAR unset. */
  const interpolate = (value: unknown) => String(value).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
  const envOf = (name: string) =>
    Object.fromEntries(
      Object.entries((compose.services[name].environment ?? {}) as Record<string, unknown>).map(([k, v]) => [k, interpolate(v)]),
    );

  test('has the six services, each with a health check, and the named volumes', () => {
    for (const name of ['rabbitmq', 'redis', 'mariadb', 'storage', 'webapp', 'poller']) {
      assert.ok(compose.services[name], `service ${name}`);
      const health = compose.services[name].healthcheck as { test?: unknown } | undefined;
      assert.ok(Array.isArray(health?.test) && health.test.length > 1, `service ${name} has a healthcheck`);
    }
    for (const volume of ['rabbitmq-data', 'redis-data', 'mariadb-data', 'wsp-data', 'poller-state'])
      assert.ok(volume in compose.volumes, `volume ${volume}`);
  });

  test('the .wsp tree, the spool and the databases are on volumes, where the services write them', () => {
    const mounts = (name: string) => ((compose.services[name].volumes ?? []) as string[]).map((v) => v.split(':'));
    const mountedAt = (name: string, target: string) => mounts(name).some(([source, path]) => path === target && source in compose.volumes);
    assert.ok(mountedAt('storage', envOf('storage').NUMETER_STORAGE_GLOBAL_WSP_PATH), 'wsp_path is a volume');
    assert.ok(mountedAt('poller', envOf('poller').NUMETER_POLLER_GLOBAL_STATE_DIR), 'the poller state dir (spool) is a volume');
    assert.ok(mountedAt('mariadb', '/var/lib/mysql'));
    assert.ok(mountedAt('redis', '/data'));
    assert.ok(mountedAt('rabbitmq', '/var/lib/rabbitmq'));
    assert.ok(
      mounts('rabbitmq').some(([source, path]) => source === './deploy/rabbitmq/rabbitmq.conf' && path.startsWith('/etc/rabbitmq/conf.d/')),
      'the broker runs with deploy/rabbitmq/rabbitmq.conf (max_message_size)',
    );
  });

  test('every NUMETER_<SERVICE>_<SECTION>_<KEY> variable is a key that service knows, and the values load', () => {
    let checked = 0;
    for (const name of ['storage', 'webapp', 'poller']) {
      const s = service(name);
      const known = environmentVariables(s);
      const env = envOf(name);
      for (const variable of Object.keys(env).filter((k) => k.startsWith('NUMETER_'))) {
        assert.ok(variable.startsWith(`${s.envPrefix}_`), `${variable} in service ${name} belongs to another service`);
        assert.ok(
          known.has(variable),
          `${variable} (service ${name}) is not a key of numeter-${name}: known are ${[...known.keys()].join(', ')}`,
        );
        checked++;
      }
      s.load('', env); // the service's own validation of the values
    }
    assert.ok(checked >= 15, `${checked} variables checked`);
  });

  test('the services reach each other by compose names, with a user that may connect remotely', () => {
    assert.match(envOf('storage').NUMETER_STORAGE_AMQP_URL, /@rabbitmq:5672\//);
    assert.doesNotMatch(envOf('storage').NUMETER_STORAGE_AMQP_URL, /guest/, 'guest may connect from localhost only');
    assert.match(envOf('poller').NUMETER_POLLER_GLOBAL_AMQP_URL, /@rabbitmq:5672\//);
    assert.equal(envOf('storage').NUMETER_STORAGE_GLOBAL_REDIS_STORAGE_HOST, 'redis');
    assert.equal(envOf('webapp').NUMETER_WEBAPP_DATABASE_HOST, 'mariadb');
    assert.equal(envOf('webapp').NUMETER_WEBAPP_DATABASE_NAME, envOf('mariadb').MARIADB_DATABASE);
    assert.equal(envOf('webapp').NUMETER_WEBAPP_DATABASE_USER, envOf('mariadb').MARIADB_USER);
    assert.equal(envOf('webapp').NUMETER_WEBAPP_DATABASE_PASSWORD, envOf('mariadb').MARIADB_PASSWORD);
  });

  test('the Dockerfile is multi-stage and runs as a non-root user', () => {
    const lines = read('Dockerfile')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const froms = lines.flatMap((l, i) => (/^FROM\s/i.test(l) ? [i] : []));
    assert.ok(froms.length >= 2, 'at least two stages');
    const final = lines.slice(froms[froms.length - 1]);
    const user = final
      .filter((l) => /^USER\s/i.test(l))
      .pop()
      ?.split(/\s+/)[1];
    assert.ok(user, 'the final stage sets USER');
    assert.ok(!['root', '0', '0:0'].includes(user), `USER ${user} is not root`);
    assert.ok(final.some((l) => l.includes('useradd') || l.includes('adduser')) || /^\d+/.test(user), 'the user is created in the image');
    assert.ok(existsSync(join(ROOT, 'deploy/docker/entrypoint.sh')));
    // `npm run build` in the build stage compiles tsconfig.json's include: every folder it names must be copied.
    const tsconfig = JSON.parse(read('tsconfig.json')) as { include: string[] };
    const build = lines.slice(froms[0], froms[1]);
    for (const folder of new Set(tsconfig.include.map((p) => p.split('/')[0]))) {
      assert.ok(
        build.some((l) => new RegExp(`^COPY\\s+${folder}\\s`).test(l)),
        `the build stage copies ${folder}/ (in tsconfig.json's include)`,
      );
    }
  });
});

test('the Docker entrypoint runs each service with the node flags of its shebang', async () => {
  const app = mkdtempSync(join(tmpdir(), 'numeter-entrypoint-'));
  try {
    const entrypoint = join(app, 'entrypoint.sh');
    writeFileSync(entrypoint, read('deploy/docker/entrypoint.sh').replaceAll('/app/', `${app}/`));
    for (const name of ['poller', 'storage', 'webapp']) {
      const flags = launcherFlags(join(ROOT, `services/${name}/src/main.ts`));
      const main = join(app, `dist/services/${name}/src/main.js`);
      mkdirSync(dirname(main), { recursive: true });
      writeFileSync(
        main,
        `#!/usr/bin/env -S node ${flags.join(' ')}\nconsole.log(JSON.stringify([process.execArgv, process.argv.slice(2)]));\n`,
      );
      const { stdout } = await run('sh', [entrypoint, name, '--print-config'], { env: { ...process.env, NODE_OPTIONS: '' } });
      assert.deepEqual(JSON.parse(stdout), [flags, ['--print-config']], name);
    }
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
});

describe('systemd units', () => {
  for (const name of ['poller', 'storage', 'webapp'] as const) {
    test(`numeter-${name}.service: its ExecStart runs the real entry point with flags it accepts, under paths it may write`, async () => {
      const unit = read(`deploy/systemd/numeter-${name}.service`);
      const command = /^ExecStart=(.*)$/m.exec(unit)?.[1].trim().split(/\s+/) ?? [];
      assert.equal(command[0], '/usr/bin/node');
      const nodeFlags = command.slice(1).filter((a, i, all) => a.startsWith('--') && all.slice(0, i).every((b) => b.startsWith('--')));
      const execStart = [command[0], ...command.slice(1 + nodeFlags.length)];
      const script = execStart[1].replace(/^\/opt\/numeter\//, '');
      assert.equal(script, `dist/services/${name}/src/main.js`);
      assert.deepEqual(nodeFlags, launcherFlags(join(ROOT, `services/${name}/src/main.ts`)), "the node flags of the service's shebang");
      assert.ok(existsSync(join(ROOT, script)), `${script} is built`);
      const args = execStart
        .slice(2)
        .map((a) => (a === `/etc/numeter/numeter_${name}.cfg` ? join(ROOT, `deploy/config/numeter_${name}.cfg`) : a));
      assert.ok(args.includes(join(ROOT, `deploy/config/numeter_${name}.cfg`)), 'it reads /etc/numeter/numeter_<service>.cfg');
      const { stdout } = await run(process.execPath, [...nodeFlags, join(ROOT, script), ...args, '--print-config'], {
        env: { ...process.env, NODE_OPTIONS: '' },
      });
      assert.match(stdout, /^\[/m, 'printed the configuration');
      assert.match(unit, /^User=numeter$/m);
      assert.match(unit, /^KillSignal=SIGTERM$/m);
      const writable = (/^ReadWritePaths=(.*)$/m.exec(unit)?.[1] ?? '').split(/\s+/);
      const s = service(name);
      const mustWrite = name === 'poller' ? [s.defaults.global.state_dir] : name === 'storage' ? [s.defaults.global.wsp_path] : [];
      for (const path of mustWrite)
        assert.ok(
          writable.some((w) => path === w || path.startsWith(`${w}/`)),
          `${path} is under ReadWritePaths (${writable.join(' ')})`,
        );
    });
  }
});

describe('nginx example', () => {
  test("proxies the storage API prefix and the webapp to the services' default ports", () => {
    const conf = read('deploy/nginx/numeter.conf');
    const storage = service('storage').defaults;
    const webapp = service('webapp').defaults;
    assert.match(conf, new RegExp(`upstream numeter_storage \\{ server ${storage.api.listen}:${storage.api.port};`));
    assert.match(conf, new RegExp(`upstream numeter_webapp \\{ server ${webapp.web.listen}:${webapp.web.port};`));
    assert.match(conf, new RegExp(`location ${storage.api.prefix}/ \\{\\s+proxy_pass http://numeter_storage;`));
    assert.match(conf, /location \/ \{\s+proxy_pass http:\/\/numeter_webapp;/);
    assert.match(conf, /X-Forwarded-Proto/, 'the webapp learns the request came over HTTPS (trust_proxy, secure_cookies)');
  });
});

describe('RabbitMQ definitions', () => {
  const definitions = JSON.parse(read('deploy/rabbitmq/definitions.json')) as {
    exchanges: Array<{ name: string; type: string; durable: boolean; arguments: Record<string, unknown> }>;
    queues: Array<{ name: string; durable: boolean; arguments: Record<string, unknown> }>;
    bindings: Array<{ source: string; destination: string; routing_key: string }>;
  };

  test('names, types, durability and arguments are the code topology', () => {
    const exchange = definitions.exchanges.find((e) => e.name === EXCHANGE);
    assert.equal(exchange?.type, EXCHANGE_TYPE);
    assert.equal(exchange?.durable, true);
    assert.equal(definitions.exchanges.find((e) => e.name === DEAD_LETTER_EXCHANGE)?.durable, true);
    const dead = definitions.queues.find((q) => q.name === DEAD_QUEUE);
    assert.equal(dead?.durable, true);
    assert.deepEqual(
      dead?.arguments,
      deadQueueArguments(dead?.arguments['x-queue-type'] as 'classic' | 'quorum'),
      'the dead queue is bounded',
    );
    const alerting = definitions.queues.find((q) => q.name === ALERTING_QUEUE);
    assert.equal(alerting?.durable, true);
    assert.deepEqual(
      alerting?.arguments,
      { ...queueArguments(alerting?.arguments['x-queue-type'] as 'classic' | 'quorum'), ...alertingQueueLimitArguments() },
      'the alerting queue is bounded and has a single active consumer',
    );
    assert.ok(definitions.bindings.some((b) => b.source === EXCHANGE && b.destination === ALERTING_QUEUE && b.routing_key === '#'));
    const storageQueues = definitions.queues.filter((q) => q.name !== DEAD_QUEUE && q.name !== ALERTING_QUEUE);
    assert.ok(storageQueues.length >= 1);
    for (const q of storageQueues) {
      assert.equal(q.name, storageQueueName(q.name.replace(/^numeter\.storage\./, '')));
      assert.equal(q.durable, true);
      assert.deepEqual(q.arguments, queueArguments(q.arguments['x-queue-type'] as 'classic' | 'quorum'));
      assert.ok(definitions.bindings.some((b) => b.source === EXCHANGE && b.destination === q.name));
    }
    assert.ok(definitions.bindings.some((b) => b.source === DEAD_LETTER_EXCHANGE && b.destination === DEAD_QUEUE && b.routing_key === '#'));
  });

  test("rabbitmq.conf refuses at the broker what the storage would refuse: max_message_size is the storage's limit", () => {
    const settings = new Map(
      read('deploy/rabbitmq/rabbitmq.conf')
        .split('\n')
        .filter((line) => line.trim() && !line.trim().startsWith('#'))
        .map((line) => line.split('=').map((part) => part.trim()) as [string, string]),
    );
    assert.equal(Number(settings.get('max_message_size')), LIMITS.maxMessageBytes);
  });

  test('imported into a broker, the storage and the publisher declare over it without a mismatch', async () => {
    const vhost = `deploy-defs-${randomBytes(4).toString('hex')}`;
    const text = read('deploy/rabbitmq/definitions.json')
      .replaceAll('"vhost": "/"', `"vhost": "${vhost}"`)
      .replace('{ "name": "/" }', `{ "name": "${vhost}" }`);
    const dir = mkdtempSync(join(tmpdir(), 'numeter-defs-'));
    const file = join(dir, 'definitions.json');
    // rabbitmqctl runs as the rabbitmq user: the file must be readable by it
    chmodSync(dir, 0o755);
    writeFileSync(file, text, { mode: 0o644 });
    try {
      await run('rabbitmqctl', ['-q', 'import_definitions', file]);
      await run('rabbitmqctl', ['-q', 'set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*']);
      const model = await amqp.connect(`amqp://guest:guest@127.0.0.1:5672/${encodeURIComponent(vhost)}`);
      try {
        const channel = await model.createChannel();
        await declareExchange(channel);
        await declareDeadLetter(model, 'quorum');
        // declareDeadLetter keeps a dead queue that exists: declare over it with the code's bounds.
        await channel.assertQueue(DEAD_QUEUE, { durable: true, arguments: deadQueueArguments('quorum') });
        for (const q of definitions.queues.filter((x) => x.name !== DEAD_QUEUE)) {
          const extra = q.name === ALERTING_QUEUE ? alertingQueueLimitArguments() : {};
          await declareConsumerQueue(
            channel,
            q.name,
            ['#'],
            q.arguments['x-queue-type'] as 'classic' | 'quorum',
            undefined,
            EXCHANGE,
            extra,
          );
        }
        await channel.close();
      } finally {
        await model.close().catch(() => {});
      }
    } finally {
      await run('rabbitmqctl', ['-q', 'delete_vhost', vhost]).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
