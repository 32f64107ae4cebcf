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

/** Appends to anything with the spool's `append` (the durable path to the broker). */
export class SpoolSink implements MessageSink {
  constructor(private readonly spool: { append(messages: Message[]): Promise<void> }) {}

  publish(messages: Message[]): Promise<void> {
    return messages.length ? this.spool.append(messages) : Promise.resolve();
  }
}
