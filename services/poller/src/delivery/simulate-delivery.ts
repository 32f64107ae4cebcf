import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { type Component, Lifecycle, type Stats } from '../../../../common/lifecycle/index.js';
import type { Delivery } from './delivery.js';
import { JsonLinesSink } from './sinks.js';

/**
 * `--simulate`: every message as one JSON line on standard output, or appended to
 * `file`. Nothing is spooled, so there is nothing to drain.
 */
export function createSimulateDelivery(file: string): Delivery {
  const output = new JsonLinesOutput(file);
  return {
    components: [output],
    sink: {
      publish: (messages) => output.sink.publish(messages),
    },
    drain: async () => true,
    stats: () => ({}),
  };
}

/** The JSON lines destination: the file is opened at start and closed (flushed) at stop. */
class JsonLinesOutput implements Component {
  readonly name = 'simulate';
  private out: Writable = process.stdout;
  sink = new JsonLinesSink(process.stdout);
  private readonly lifecycle = new Lifecycle({ start: () => this.open(), stop: () => this.close() });

  constructor(private readonly file: string) {}

  start(): Promise<void> {
    return this.lifecycle.start();
  }

  stop(): Promise<void> {
    return this.lifecycle.stop();
  }

  stats(): Stats {
    return {};
  }

  private open(): void {
    if (!this.file) return;
    this.out = createWriteStream(this.file, { flags: 'a' });
    this.sink = new JsonLinesSink(this.out);
  }

  private async close(): Promise<void> {
    if (this.out === process.stdout) return;
    const out = this.out;
    this.out = process.stdout;
    await new Promise<void>((resolve) => out.end(resolve));
  }
}
