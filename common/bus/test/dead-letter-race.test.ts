import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { createVhost, type Vhost } from '../../testing/rabbitmq-vhost.js';
import { DEAD_QUEUE, declareDeadLetter } from '../index.js';

/** The type RabbitMQ gave the dead-letter queue of `vhost` (classic or quorum). */
async function deadQueueType(vhost: string): Promise<string> {
  const { stdout } = await promisify(execFile)('rabbitmqctl', ['-q', '--no-table-headers', 'list_queues', '-p', vhost, 'name', 'type']);
  const line = stdout.split('\n').find((l) => l.split(/\s+/)[0] === DEAD_QUEUE);
  return line?.split(/\s+/)[1] ?? 'absent';
}

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
      const won = await deadQueueType(vhost.name);
      assert.ok(won === 'classic' || won === 'quorum', `one of the racing types was created, got ${won}`);
      const other = won === 'classic' ? 'quorum' : 'classic';
      await declareDeadLetter(models[0], other);
      assert.equal(await deadQueueType(vhost.name), won, 'a later declaration of the other type keeps the first type');
    } finally {
      await Promise.all(models.map((m) => m.close().catch(() => {})));
    }
  });
});
