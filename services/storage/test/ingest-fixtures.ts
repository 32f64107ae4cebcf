/**
 * Fixtures of the ingestion tests: temp directories, a storage config pointing at a
 * vhost and Redis prefix of their own (common/testing makes and removes those, and reads
 * files with python3-whisper, the reference), publishers and dead letters.
 */
import { join } from 'node:path';
import amqp from 'amqplib';
import { BusPublisher, DEAD_QUEUE, DEAD_REASON_HEADER } from '../../../common/bus/index.js';
import { type StorageConfig, StorageConfigSchema } from '../src/config.js';

/** A full config for a test storage (api off unless asked), every key as the INI would give it. */
export function testConfig(opts: {
  storageName: string;
  amqpUrl: string;
  wspPath: string;
  prefix: string;
  hostListFile?: string;
  extra?: Record<string, Record<string, string>>;
}): StorageConfig {
  const raw: Record<string, Record<string, string>> = {
    global: {
      storage_name: opts.storageName,
      wsp_path: opts.wspPath,
      redis_key_prefix: opts.prefix,
      host_list_file: opts.hostListFile ?? join(opts.wspPath, 'no-host-list'),
      log_level: 'error',
    },
    amqp: { url: opts.amqpUrl, prefetch: '200' },
    cache: { flush_interval_ms: '20' },
    api: { enabled: 'false' },
  };
  for (const [section, values] of Object.entries(opts.extra ?? {})) raw[section] = { ...raw[section], ...values };
  return StorageConfigSchema.parse(raw);
}

export async function startPublisher(url: string): Promise<BusPublisher> {
  const publisher = new BusPublisher({ url });
  await publisher.start();
  await publisher.whenConnected();
  return publisher;
}

export interface DeadLetter {
  reason: string;
  routingKey: string;
  body: string;
}

/** Takes every message out of numeter.dead of a vhost. */
export async function drainDeadLetters(url: string): Promise<DeadLetter[]> {
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  const out: DeadLetter[] = [];
  for (;;) {
    const message = await channel.get(DEAD_QUEUE, { noAck: true });
    if (!message) break;
    out.push({
      reason: String(message.properties.headers?.[DEAD_REASON_HEADER] ?? ''),
      routingKey: message.fields.routingKey,
      body: message.content.toString('utf8'),
    });
  }
  await connection.close();
  return out;
}

export { dataMessage } from '../../../common/testing/data-message.js';
export { eventually } from '../../../common/testing/eventually.js';
export { tempDir } from '../../../common/testing/temp-dir.js';

/** Epoch seconds aligned to the minute, a few minutes back, so points land in the finest archive. */
export function recentMinute(minutesBack = 5): number {
  const now = Math.floor(Date.now() / 1000);
  return now - (now % 60) - minutesBack * 60;
}
