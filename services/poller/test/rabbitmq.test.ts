import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { EXCHANGE, EXCHANGE_TYPE } from '../../../common/bus/index.js';
import { decodeMessage, type Message } from '../../../common/schemas/index.js';
import { type TempDir, tempDir } from '../../../common/testing/temp-dir.js';
import { runPoller } from './peers/run-poller.js';

/**
 * `--once` through the real spool and forwarder to the real RabbitMQ on 127.0.0.1:5672:
 * a queue of this test, bound to the exchange with this test's unique host ID, receives
 * the host info, plugin info and data.
 */
describe('numeter-poller --once publishes to RabbitMQ', () => {
  const hostId = `poller-it-${randomBytes(6).toString('hex')}`;
  let temp: TempDir;
  let dir: string;
  let connection: ChannelModel;
  let channel: Channel;
  let queue: string;

  before(async () => {
    temp = await tempDir('poller-it');
    dir = temp.dir;
    connection = await amqp.connect('amqp://guest:guest@127.0.0.1:5672/%2F');
    channel = await connection.createChannel();
    await channel.assertExchange(EXCHANGE, EXCHANGE_TYPE, { durable: true });
    queue = (await channel.assertQueue('', { exclusive: true, autoDelete: true })).queue;
    await channel.bindQueue(queue, EXCHANGE, hostId);
  });
  after(async () => {
    await channel?.deleteQueue(queue).catch(() => {});
    await connection?.close().catch(() => {});
    await temp.remove();
  });

  it('delivers host info, plugin info and data, and leaves the spool empty', async () => {
    const run = await runPoller(['--once'], {
      NUMETER_POLLER_GLOBAL_STATE_DIR: join(dir, 'state'),
      NUMETER_POLLER_GLOBAL_MODULES: 'system',
      NUMETER_POLLER_GLOBAL_RPC_HOSTS: '127.0.0.1:5672',
      NUMETER_POLLER_GLOBAL_STOP_DEADLINE: '10',
      NUMETER_POLLER_MYINFO_HOST_ID: hostId,
      NUMETER_POLLER_MYINFO_NAME: 'integration',
    });
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /not everything reached the broker/, run.stderr);
    const received: Message[] = [];
    for (;;) {
      const delivery = await channel.get(queue, { noAck: true });
      if (!delivery) break;
      const decoded = decodeMessage(delivery.content);
      assert.ok(decoded.ok, decoded.ok ? '' : decoded.reason);
      received.push(decoded.message);
    }
    assert.ok(received.every((m) => m.hostId === hostId));
    const host = received.find((m) => m.kind === 'host');
    assert.equal(host?.kind === 'host' && host.name, 'integration');
    const infos = received.flatMap((m) => (m.kind === 'info' ? [m.plugin] : []));
    assert.ok(infos.includes('system_memory') && infos.includes('numeter_poller'), infos.join(' '));
    const points = received.flatMap((m) => (m.kind === 'data' ? m.points : []));
    assert.ok(points.some((p) => p.plugin === 'system_memory' && typeof p.values.total === 'number'));
  });
});
