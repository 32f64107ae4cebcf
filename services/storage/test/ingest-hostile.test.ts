/**
 * The hostile-message corpus: bad names (multi-byte at the byte limit, `..`, `/`, NUL,
 * control characters, lone surrogates), bad numbers and timestamps, duplicated keys, deep
 * JSON, wrong types, bad routing keys, 2 MiB bodies and names the file system refuses, all
 * published among good messages to a real storage (RabbitMQ, Redis, files read back with
 * python3-whisper). Every good point must be stored, every bad message dead-lettered once
 * with a reason naming what is wrong, nothing left requeueing, and the storage still up.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import amqp from 'amqplib';
import {
  type BusPublisher,
  DEAD_LETTER_HEAD_BYTES,
  DEAD_QUEUE,
  DEAD_REASON_HEADER,
  DEAD_ROUTING_KEY_HEADER,
  DEAD_TRUNCATED_HEADER,
  storageQueueName,
} from '../../../common/bus/index.js';
import { silentLogger } from '../../../common/logging/index.js';
import { uniqueName } from '../../../common/testing/names.js';
import { pythonFetchMany } from '../../../common/testing/python-whisper.js';
import { createVhost, type Vhost } from '../../../common/testing/rabbitmq-vhost.js';
import { deleteRedisPrefix } from '../../../common/testing/redis-prefix.js';
import type { TempDir } from '../../../common/testing/temp-dir.js';
import { filteredHostId } from '../src/files/layout.js';
import { StorageService } from '../src/storage-service.js';
import { eventually, recentMinute, startPublisher, tempDir, testConfig } from './ingest-fixtures.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

interface Letter {
  body: Buffer;
  reason: string;
  headers: Record<string, unknown>;
}

interface Hostile {
  what: string;
  routingKey: string;
  body: Buffer;
  reason: RegExp;
}

interface Good {
  hostId: string;
  plugin: string;
  ds: string;
  value: number;
}

/** The dead letter's body is the message's, or (cut) its head. */
function sameBody(letter: Letter, body: Buffer): boolean {
  if (letter.headers[DEAD_TRUNCATED_HEADER] === undefined) return letter.body.equals(body);
  return letter.headers[DEAD_TRUNCATED_HEADER] === body.length && body.subarray(0, letter.body.length).equals(letter.body);
}

/** Takes every message out of numeter.dead, bodies as bytes. */
async function takeDeadLetters(url: string): Promise<Letter[]> {
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  const out: Letter[] = [];
  for (;;) {
    const message = await channel.get(DEAD_QUEUE, { noAck: true });
    if (!message) break;
    const headers = message.properties.headers ?? {};
    out.push({ body: message.content, reason: String(headers[DEAD_REASON_HEADER] ?? ''), headers });
  }
  await connection.close();
  return out;
}

describe('hostile input against a running storage', () => {
  let vhost: Vhost;
  let outer: TempDir;
  let root: string;
  let prefix: string;
  let storageName: string;
  let service: StorageService;
  let publisher: BusPublisher;
  const t0 = recentMinute(5);
  const hostDir = (hostId: string) => join(root, md5(hostId).slice(0, 2), filteredHostId(hostId));
  const fileOf = (g: Good) => join(hostDir(g.hostId), g.plugin, `${g.ds}.wsp`);

  before(async () => {
    vhost = await createVhost('test-hostile');
    outer = await tempDir('hostile');
    root = join(outer.dir, 'wsp');
    prefix = `${uniqueName('hostile')}:`;
    storageName = uniqueName('st');
    const config = testConfig({ storageName, amqpUrl: vhost.url, wspPath: root, prefix });
    service = new StorageService({ config, hostIds: [], logger: silentLogger() });
    await service.start();
    await service.waitUntilConsuming();
    publisher = await startPublisher(vhost.url);
  });

  after(async () => {
    await publisher?.stop();
    await service?.stop();
    await deleteRedisPrefix(prefix);
    await outer?.remove();
    await vhost?.delete().catch(() => {});
  });

  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  const data = (hostId: string, plugin: string, values: Record<string, unknown>, timestamp: unknown = t0) =>
    json({ v: 1, kind: 'data', hostId, points: [{ plugin, timestamp, values }] });
  const raw = (text: string) => Buffer.from(text);

  function goodMessages(): Array<{ good: Good; routingKey: string; body: Buffer }> {
    const goods: Good[] = [
      { hostId: 'good-1', plugin: 'load', ds: 'load', value: 1.5 },
      // Multi-byte names exactly at the 200-byte limit.
      { hostId: 'é'.repeat(100), plugin: 'cpu', ds: '😀'.repeat(50), value: 2 },
      { hostId: 'good-2', plugin: `${'€'.repeat(66)}xx`, ds: 'é'.repeat(100), value: 3 },
      // Extreme but finite numbers, negative values, dots inside names (munin multigraph).
      { hostId: 'good-2', plugin: 'numbers', ds: 'max', value: Number.MAX_VALUE },
      { hostId: 'good-2', plugin: 'numbers', ds: 'negative', value: -1e300 },
      { hostId: 'good-2', plugin: 'numbers', ds: 'tiny', value: 5e-324 },
      { hostId: 'good-2', plugin: 'diskstats_latency.sda', ds: 'avgwait', value: -42 },
      // The host whose directory holds the obstacles below: its other plugins are fine.
      { hostId: 'obstacles', plugin: 'fine', ds: 'value', value: 7 },
    ];
    return goods.map((good) => ({ good, routingKey: good.hostId, body: data(good.hostId, good.plugin, { [good.ds]: good.value }) }));
  }

  function hostileMessages(): Hostile[] {
    let deep = '1';
    for (let i = 0; i < 5000; i++) deep = `[${deep}]`;
    const h = (what: string, body: Buffer, reason: RegExp, routingKey = 'evil'): Hostile => ({ what, routingKey, body, reason });
    const overBytes = '€'.repeat(90); // 90 characters, 270 bytes: the file system refuses it (ENAMETOOLONG)
    return [
      h('a data source of 90 characters but 270 bytes', data('evil', 'cpu', { [overBytes]: 1 }), /longer than 200 bytes in UTF-8/),
      h(
        'a host ID one byte over the limit',
        data(`${'é'.repeat(100)}x`, 'cpu', { a: 1 }),
        /longer than 200 bytes in UTF-8/,
        `${'é'.repeat(100)}x`,
      ),
      h('a plugin one byte over the limit', data('evil', `${'€'.repeat(66)}xxx`, { a: 1 }), /longer than 200 bytes in UTF-8/),
      h('host ".."', data('..', 'cpu', { a: 1 }), /made only of dots/, '..'),
      h('plugin ".."', data('evil', '..', { a: 1 }), /made only of dots/),
      h('plugin with "/"', data('evil', '../../../etc', { a: 1 }), /"\/"/),
      h('data source with "/"', data('evil', 'cpu', { '../../x': 1 }), /"\/"/),
      h('backslash', data('evil', 'cpu\\x', { a: 1 }), /plugin: name "cpu.*x" contains "\/", "\\"/),
      h('NUL', data('evil', 'cpu\u0000x', { a: 1 }), /NUL or a control character/),
      h('newline (log injection)', data('evil', 'cpu', { 'a\nb': 1 }), /control character/),
      h('escape character', data('evil', 'cpu', { 'a\u001b[31m': 1 }), /control character/),
      h('C1 control character', data('evil', 'cpu', { 'a\u0085b': 1 }), /control character/),
      h(
        'lone surrogate',
        raw(`{"v":1,"kind":"data","hostId":"evil","points":[{"plugin":"cpu","timestamp":${t0},"values":{"a\\ud800":1}}]}`),
        /lone UTF-16 surrogate/,
      ),
      h('hidden-file plugin', data('evil', '.hidden', { a: 1 }), /starts with a dot/),
      h(
        'invalid UTF-8',
        Buffer.concat([raw('{"v":1,"kind":"data","hostId":"ev'), Buffer.from([0xc3, 0x28]), raw('il","points":[]}')]),
        /not valid UTF-8/,
      ),
      h(
        'infinite value (1e999)',
        raw(`{"v":1,"kind":"data","hostId":"evil","points":[{"plugin":"cpu","timestamp":${t0},"values":{"a":1e999}}]}`),
        /values\.a: Number must be finite/,
      ),
      h(
        'negative infinity',
        raw(`{"v":1,"kind":"data","hostId":"evil","points":[{"plugin":"cpu","timestamp":${t0},"values":{"a":-1e999}}]}`),
        /must be finite/,
      ),
      h('NaN as a string', data('evil', 'cpu', { a: 'NaN' }), /values\.a: Expected number, received string/),
      h('a boolean value', data('evil', 'cpu', { a: true }), /Expected number, received boolean/),
      h('an array value', data('evil', 'cpu', { a: [1] }), /Expected number, received array/),
      h('far-future timestamp', data('evil', 'cpu', { a: 1 }, 4_000_000_000), /^future: timestamp 4000000000 is \d+ s in the future/),
      h('timestamp after 2100', data('evil', 'cpu', { a: 1 }, 5_000_000_000), /outside 2000-01-01\.\.2100-01-01/),
      h('negative timestamp', data('evil', 'cpu', { a: 1 }, -1), /timestamp -1 is outside/),
      h('milliseconds', data('evil', 'cpu', { a: 1 }, t0 * 1000), /looks like milliseconds/),
      h('fractional timestamp', data('evil', 'cpu', { a: 1 }, t0 + 0.5), /whole seconds/),
      h('timestamp as a string', data('evil', 'cpu', { a: 1 }, String(t0)), /number of seconds/),
      h('older than every archive', data('evil', 'cpu', { a: 1 }, 1_000_000_000), /^too-old:/),
      h(
        'duplicated hostId',
        raw(`{"v":1,"kind":"data","hostId":"evil","hostId":"good-1","points":[{"plugin":"load","timestamp":${t0},"values":{"load":99}}]}`),
        /duplicated keys/,
        'good-1',
      ),
      h(
        'duplicated value key',
        raw(`{"v":1,"kind":"data","hostId":"evil","points":[{"plugin":"cpu","timestamp":${t0},"values":{"a":1,"a":2}}]}`),
        /duplicated keys/,
      ),
      h('deep JSON', raw(`{"v":1,"kind":"data","hostId":"evil","points":${deep}}`), /nested \d+ deep/),
      h(
        'wrong types',
        raw('{"v":1,"kind":"data","hostId":5,"points":"x"}'),
        /hostId: Expected string, received number; points: Expected array/,
      ),
      h(
        'unknown key',
        raw(`{"v":1,"kind":"data","hostId":"evil","extra":1,"points":[{"plugin":"cpu","timestamp":${t0},"values":{}}]}`),
        /Unrecognized key.*extra/,
      ),
      h(
        'too many points',
        json({
          v: 1,
          kind: 'data',
          hostId: 'evil',
          points: Array.from({ length: 2001 }, () => ({ plugin: 'cpu', timestamp: t0, values: { a: 1 } })),
        }),
        /points: Array must contain at most 2000/,
      ),
      h(
        'prototype pollution',
        raw(`{"v":1,"kind":"data","hostId":"evil","points":[{"plugin":"cpu","timestamp":${t0},"values":{"__proto__":{"polluted":1}}}]}`),
        /^invalid:/,
      ),
      h('not JSON', raw('not json at all'), /invalid JSON/),
      h('a JSON array', raw('[1,2,3]'), /Expected object, received array/),
      h('an empty body', raw(''), /invalid JSON/),
      h(
        'an empty routing key',
        data('good-1', 'load', { load: 99 }),
        /^host-mismatch: empty routing key: it must be the message's hostId "good-1"$/,
        '',
      ),
      h(
        "another host's routing key",
        data('good-1', 'load', { load: 99 }),
        /^host-mismatch: routing key "someone-else" is not the message's hostId "good-1"$/,
        'someone-else',
      ),
      h(
        'a 2 MiB body',
        raw(`{"v":1,"kind":"data","hostId":"evil","pad":"${'x'.repeat(2 * 1024 * 1024)}"}`),
        /^too-large: message of \d+ bytes exceeds the 1048576 allowed$/,
      ),
      h(
        'a plugin directory that is a file',
        data('obstacles', 'blocked', { a: 1 }),
        /^unwritable: the file system refuses it \((EEXIST|ENOTDIR)\)/,
        'obstacles',
      ),
      h(
        'a series file that is a directory',
        data('obstacles', 'fine', { directory: 1 }),
        /^unwritable: the file system refuses it \(EISDIR\)/,
        'obstacles',
      ),
    ];
  }

  test('every good point is stored, every bad message dead-lettered with what is wrong, the storage stays up', async () => {
    // Obstacles the names cannot show: the file system refuses these paths on every try.
    mkdirSync(join(hostDir('obstacles'), 'fine', 'directory.wsp'), { recursive: true });
    writeFileSync(join(hostDir('obstacles'), 'blocked'), 'a file where the plugin directory should be');
    const goods = goodMessages();
    const hostile = hostileMessages();
    // Interleaved: the good ones must get through whatever is around them.
    for (const [i, bad] of hostile.entries()) {
      await publisher.publishRaw(bad.routingKey, bad.body);
      const good = goods[i % goods.length];
      if (i < goods.length) await publisher.publishRaw(good.routingKey, good.body);
    }
    const letters: Letter[] = [];
    await eventually(
      async () => {
        letters.push(...(await takeDeadLetters(vhost.url)));
        return letters.length >= hostile.length;
      },
      30_000,
      `${hostile.length} dead letters`,
    );
    for (const bad of hostile) {
      const letter = letters.find((l) => l.headers[DEAD_ROUTING_KEY_HEADER] === bad.routingKey && sameBody(l, bad.body));
      assert.ok(letter, `a dead letter for ${bad.what}`);
      assert.match(letter.reason, bad.reason, `reason for ${bad.what}`);
    }
    const big = letters.find((l) => l.headers[DEAD_TRUNCATED_HEADER] !== undefined);
    assert.equal(big?.body.length, DEAD_LETTER_HEAD_BYTES, 'the dead queue keeps only the head of a 2 MiB body');
    assert.ok(Number(big?.headers[DEAD_TRUNCATED_HEADER]) > 2 * 1024 * 1024, 'and says how large it was');

    const stored = pythonFetchMany(
      goods.map(({ good }) => fileOf(good)),
      t0 - 60,
      t0 + 60,
    );
    for (const { good } of goods) assert.deepEqual(stored[fileOf(good)], [[t0, good.value]], `${good.hostId}/${good.plugin}/${good.ds}`);

    // Nothing was stored for the routing-key and duplicate-key attempts on good-1's series.
    assert.equal(letters.length, hostile.length, 'each bad message dead-lettered exactly once');
    const queue = await checkQueue(storageQueueName(storageName));
    assert.equal(queue.messageCount, 0, 'nothing left requeueing');
    assert.equal(service.stats().consumer_connected, 1, 'the consumer is still consuming');
    assert.deepEqual(readdirSync(outer.dir), ['wsp'], 'nothing written next to wsp_path');
    assert.equal(existsSync(join(root, 'etc')), false);
    const metrics = await service.metrics.registry.getSingleMetricAsString('numeter_storage_dead_letters_total');
    for (const kind of ['too-large', 'invalid', 'unsafe-name', 'unwritable', 'host-mismatch', 'future', 'too-old'])
      assert.match(metrics, new RegExp(`reason="${kind}"`));
  });

  test('thousands of hostile messages leave the storage up and the good ones stored', async () => {
    const hostile = hostileMessages().filter((h) => h.body.length < 100_000);
    const total = 10_000;
    const good: Good = { hostId: 'steady', plugin: 'load', ds: 'load', value: 0 };
    for (let start = 0; start < total; start += 500) {
      const batch: Array<Promise<void>> = [];
      for (let i = start; i < Math.min(total, start + 500); i++) {
        const bad = hostile[i % hostile.length];
        batch.push(publisher.publishRaw(bad.routingKey, bad.body));
      }
      const minute = start / 500;
      batch.push(publisher.publishRaw(good.hostId, data(good.hostId, good.plugin, { load: minute }, t0 - 60 * minute)));
      await Promise.all(batch);
    }
    let dead = 0;
    await eventually(
      async () => {
        dead += (await takeDeadLetters(vhost.url)).length;
        return dead >= total;
      },
      120_000,
      `${total} dead letters`,
    );
    assert.equal(dead, total);
    const file = join(hostDir(good.hostId), good.plugin, `${good.ds}.wsp`);
    await eventually(() => existsSync(file), 10_000, 'the steady host file');
    const points = pythonFetchMany([file], t0 - 60 * 21, t0 + 60)[file];
    assert.equal(points.length, total / 500, 'every good point among the hostile ones');
    assert.equal(service.stats().consumer_connected, 1);
    assert.equal((await checkQueue(storageQueueName(storageName))).messageCount, 0);
  });

  async function checkQueue(queue: string): Promise<{ messageCount: number }> {
    const connection = await amqp.connect(vhost.url);
    try {
      const channel = await connection.createChannel();
      return await channel.checkQueue(queue);
    } finally {
      await connection.close();
    }
  }
});
