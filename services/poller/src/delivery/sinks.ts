import type { Writable } from 'node:stream';
import { encodeMessage, type Message } from '../../../../common/schemas/index.js';

/** Where a poll's messages go: the spool (daemon), or JSON lines (`--simulate`). */
export interface MessageSink {
  publish(messages: Message[]): Promise<void>;
}

/** One JSON message per line, in the wire encoding. */
export class JsonLinesSink implements MessageSink {
  constructor(private readonly out: Writable) {}

  async publish(messages: Message[]): Promise<void> {
    if (!messages.length) return;
    const text = messages.map((m) => encodeMessage(m).toString('utf8')).join('\n');
    await new Promise<void>((resolve, reject) => this.out.write(`${text}\n`, (error) => (error ? reject(error) : resolve())));
  }
}

/** Keeps messages in memory: tests and the benchmark. */
export class MemorySink implements MessageSink {
  readonly messages: Message[] = [];

  async publish(messages: Message[]): Promise<void> {
    this.messages.push(...messages);
  }
}

/** Messages per spool append: a central poll's 30,000 plugin infos are not encoded at once. */
export const SPOOL_APPEND_BATCH = 500;

/**
 * Appends to anything with the spool's `append` (the durable path to the broker), in
 * batches of SPOOL_APPEND_BATCH in order: a spool append encodes its whole batch (payloads,
 * records and one buffer of them all), so one append of a central poll's messages would
 * briefly hold three copies of them outside the heap. A failed batch stops the rest.
 */
export class SpoolSink implements MessageSink {
  constructor(private readonly spool: { append(messages: Message[]): Promise<void> }) {}

  async publish(messages: Message[]): Promise<void> {
    for (let start = 0; start < messages.length; start += SPOOL_APPEND_BATCH)
      await this.spool.append(messages.slice(start, start + SPOOL_APPEND_BATCH));
  }
}
