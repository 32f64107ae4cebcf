import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import amqp from 'amqplib';
import { createVhost, type Vhost } from '../../testing/rabbitmq-vhost.js';
import { DEAD_QUEUE, declareDeadLetter } from '../index.js';

describe('declareDeadLetter', () => {
  let vhost: Vhost;
  before(async () => {
    vhost = await createVhost('numeter-bus');
  });
  after(async () => {
    await vhost.delete().catch(() => {});
  });

  it('lets consumers of different queue types start together: the first type wins, nobody fails', async () => {
    const models = await Promise.all(Array.from({ length: 4 }, () => amqp.connect(vhost.url)));
    try {
      const types = ['classic', 'quorum', 'quorum', 'classic'] as const;
      const results = await Promise.allSettled(models.map((model, i) => declareDeadLetter(model, types[i])));
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled'],
      );
      const channel = await models[0].createChannel();
      const queue = await channel.checkQueue(DEAD_QUEUE);
      assert.equal(queue.queue, DEAD_QUEUE);
    } finally {
      await Promise.all(models.map((m) => m.close().catch(() => {})));
    }
  });
});
