import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { silentLogger } from '../../../common/logging/index.js';
import type { Message } from '../../../common/schemas/index.js';
import { tempDir } from '../../../common/testing/temp-dir.js';
import type { MessageSink } from '../src/delivery/sinks.js';
import type { Collection, CollectRequest, PollerModule } from '../src/modules/types.js';
import { PollCycle, type PollCycleOptions } from '../src/polling/poll-cycle.js';
import { RateStateFile } from '../src/rates/state-file.js';

/** Parts a module hands over during a poll (CollectRequest.deliver), as central munin polling does per node. */
const SELF = { hostId: 'self-host', name: 'self' };
const stateTemp = await tempDir('poller-parts');
const STATE_DIR = stateTemp.dir;
let cycles = 0;
after(() => stateTemp.remove());

/** Records each sink call apart, to see what was spooled when. */
class CallSink implements MessageSink {
  readonly calls: Message[][] = [];
  async publish(messages: Message[]): Promise<void> {
    this.calls.push([...messages]);
  }
}

function cycle(modules: PollerModule[], sink: MessageSink, clock: { t: number }, extra: Partial<PollCycleOptions> = {}): PollCycle {
  return new PollCycle({
    self: SELF,
    modules,
    sink,
    rates: new RateStateFile({ file: join(STATE_DIR, `rates-${++cycles}.json`), logger: silentLogger() }),
    refreshSeconds: 300,
    heartbeatSeconds: 600,
    maxPointsPerMessage: 500,
    logger: silentLogger(),
    nowSeconds: () => clock.t,
    ...extra,
  });
}

/** A node's part: its host, its one plugin (described on the first poll only) and a counter sample. */
function nodePart(hostId: string, poll: number, counter: number): Collection {
  return {
    hosts: [{ hostId, name: hostId, group: 'nodes' }],
    plugins: poll === 0 ? [{ plugin: 'if_eth0', hostId, title: 'eth0', fields: { rx: { label: 'rx', type: 'DERIVE', min: 0 } } }] : [],
    samples: [{ plugin: 'if_eth0', hostId, values: { rx: counter } }],
  };
}

/** Hands over one part per host, each awaited, then returns an empty collection. */
class PartsModule implements PollerModule {
  readonly name = 'parts';
  readonly sinkCallsAtEachPart: number[] = [];
  private poll = 0;
  constructor(
    private readonly hostIds: string[],
    private readonly sink: CallSink,
  ) {}
  async collect(request: CollectRequest): Promise<Collection> {
    const poll = this.poll++;
    for (const hostId of this.hostIds) {
      await request.deliver?.(nodePart(hostId, poll, 1000 + poll * 3000));
      this.sinkCallsAtEachPart.push(this.sink.calls.length);
    }
    return { samples: [] };
  }
}

const kinds = (messages: Message[]) =>
  messages.map((m) => (m.kind === 'info' ? `info:${m.hostId}:${m.plugin}` : m.kind === 'host' ? `host:${m.hostId}` : `data:${m.hostId}`));

describe('parts handed over during a poll', () => {
  it('spools each part at once, with its host and plugin infos, as rates; the end of the poll carries the rest', async () => {
    const clock = { t: 1_800_000_000 };
    const sink = new CallSink();
    const module = new PartsModule(['node-a', 'node-b'], sink);
    const poller = cycle([module], sink, clock, { refreshSeconds: 86400 });
    const first = await poller.run();
    assert.deepEqual(module.sinkCallsAtEachPart, [1, 2], 'each part is spooled before the module goes on');
    assert.deepEqual(kinds(sink.calls[0]), ['host:node-a', 'info:node-a:if_eth0', 'data:node-a']);
    assert.deepEqual(kinds(sink.calls[1]), ['host:node-b', 'info:node-b:if_eth0', 'data:node-b']);
    assert.deepEqual(kinds(sink.calls[2]), ['host:self-host', 'info:self-host:numeter_poller', 'data:self-host']);
    assert.equal(first.collected, 2);
    assert.equal(first.messages, 9);
    sink.calls.length = 0;
    clock.t += 60;
    const second = await poller.run();
    assert.deepEqual(kinds(sink.calls[0]), ['data:node-a'], 'known infos are not sent again before the refresh');
    const point = sink.calls[0][0].kind === 'data' ? sink.calls[0][0].points[0] : null;
    assert.deepEqual(point?.values, { rx: 50 }, 'a DERIVE counter becomes a rate across parts of two polls');
    assert.equal(second.spooled, 2 + 9, "two nodes' values and the self plugin's nine");
  });

  it("spreads the refresh of parts' hosts over the refresh period: each host once per period", async () => {
    const clock = { t: 1_800_000_000 };
    const sink = new CallSink();
    const hostIds = Array.from({ length: 24 }, (_, i) => `node-${i}`);
    const poller = cycle([new PartsModule(hostIds, sink)], sink, clock, { refreshSeconds: 3600 });
    await poller.run();
    const refreshedAt = new Map<string, number[]>();
    for (let poll = 1; poll <= 12; poll++) {
      sink.calls.length = 0;
      clock.t += 300;
      await poller.run();
      for (const message of sink.calls.flat()) {
        if (message.kind === 'info' && message.hostId !== SELF.hostId)
          refreshedAt.set(message.hostId, [...(refreshedAt.get(message.hostId) ?? []), poll]);
      }
    }
    for (const hostId of hostIds) assert.equal(refreshedAt.get(hostId)?.length, 1, `${hostId} refreshed once in the period`);
    const polls = new Set([...refreshedAt.values()].flat());
    assert.ok(polls.size >= 4, `the refreshes are spread over several polls (${[...polls].join(', ')})`);
  });

  it('drops a part handed over after the module missed its deadline, and the next poll goes on', async () => {
    const clock = { t: 1_800_000_000 };
    const sink = new CallSink();
    let late: Promise<void> | undefined;
    const module: PollerModule = {
      name: 'late',
      collect: (request) =>
        new Promise((resolve) => {
          setTimeout(() => {
            late = request.deliver?.(nodePart('node-late', 0, 1));
            resolve({ samples: [] });
          }, 100);
        }),
    };
    const poller = cycle([module], sink, clock, { moduleTimeoutSeconds: 0.02 });
    const result = await poller.run();
    assert.equal(result.moduleErrors, 1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await late;
    assert.ok(late, 'the part was handed over');
    assert.ok(!sink.calls.flat().some((m) => m.hostId === 'node-late'), 'nothing of the late part is spooled');
    assert.equal(poller.stats().dropped, 1);
  });
});
