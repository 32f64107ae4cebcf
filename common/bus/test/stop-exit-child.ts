/**
 * Child process of consumer-exit.test.ts: consumes one message with a BusConsumer, stops it
 * (default 10 s deadline) and returns from main without process.exit(): the process must end
 * by itself once the event loop is empty. Prints "stopped <epoch ms>" just after stop().
 */

import { dataMessage } from '../../testing/data-message.js';
import { BusConsumer, BusPublisher } from '../index.js';

async function main(url: string): Promise<void> {
  let handled = 0;
  const consumer = new BusConsumer({
    url,
    queue: 'numeter.storage.exit-test',
    bindings: ['#'],
    prefetch: 10,
    handler: async () => {
      handled++;
      return { action: 'ack' };
    },
  });
  await consumer.start();
  const publisher = new BusPublisher({ url });
  await publisher.start();
  await publisher.whenConnected();
  while (!consumer.connected) await new Promise((resolve) => setTimeout(resolve, 20));
  await publisher.publish(dataMessage('exit-host', 1));
  await publisher.stop();
  while (handled === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  await consumer.stop();
  process.stdout.write(`stopped ${Date.now()}\n`);
}

main(process.argv[2]).catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exitCode = 1;
});
