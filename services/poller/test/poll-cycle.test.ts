import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../../../common/logging/index.js';
import { type DataMessage, type Message, Message as MessageSchema } from '../../../common/schemas/index.js';
import { type TempDir, tempDir } from '../../../common/testing/temp-dir.js';
import { MemorySink, type MessageSink } from '../src/delivery/sinks.js';
import { loadCustomModule } from '../src/modules/custom/load.js';
import type { Collection, PluginDescription, PollerModule } from '../src/modules/types.js';
import { PollCycle, type PollCycleOptions } from '../src/polling/poll-cycle.js';
import { RateStateFile } from '../src/rates/state-file.js';

const SELF = { hostId: 'self-host', name: 'self' };
const stateTemp = await tempDir('poller-cycle');
const STATE_DIR = stateTemp.dir;
let cycles = 0;
after(() => stateTemp.remove());

class ScriptedModule implements PollerModule {
  constructor(
    readonly name: string,
    private readonly script: (poll: number) => Collection,
    private poll = 0,
  ) {}
  async collect(): Promise<Collection> {
    return this.script(this.poll++);
  }
}

function cycle(modules: PollerModule[], extra: Partial<PollCycleOptions> & { clock: { t: number } }): PollCycle {
  return new PollCycle({
    self: SELF,
    modules,
    sink: extra.sink ?? new MemorySink(),
    rates: new RateStateFile({ file: join(STATE_DIR, `rates-${++cycles}.json`), logger: silentLogger() }),
    refreshSeconds: 300,
    heartbeatSeconds: 600,
    maxPointsPerMessage: 500,
    logger: silentLogger(),
    nowSeconds: () => extra.clock.t,
    ...extra,
  });
}

const data = (messages: Message[]) => messages.filter((m): m is DataMessage => m.kind === 'data');
const kinds = (messages: Message[]) =>
  messages.map((m) => (m.kind === 'info' ? `info:${m.hostId}:${m.plugin}` : m.kind === 'host' ? `host:${m.hostId}` : 'data'));

const traffic = (label: string): PluginDescription => ({
  plugin: 'traffic',
  title: 'Traffic',
  fields: { bytes: { label, type: 'COUNTER', min: 0 } },
});

describe('PollCycle', () => {
  it('publishes host and plugin info at refresh, data as rates, and never a raw counter', async () => {
    const clock = { t: 1_800_000_000 };
    const sink = new MemorySink();
    let counter = 1_000_000;
    const nextCounter = () => {
      counter += 600;
      return counter;
    };
    const module = new ScriptedModule('m', () => ({
      plugins: [traffic('bytes')],
      samples: [{ plugin: 'traffic', values: { bytes: nextCounter() } }],
    }));
    const poller = cycle([module], { sink, clock });
    await poller.run();
    assert.deepEqual(kinds(sink.messages), ['host:self-host', 'info:self-host:traffic', 'info:self-host:numeter_poller', 'data']);
    assert.deepEqual(
      data(sink.messages)[0].points.find((p) => p.plugin === 'traffic'),
      { plugin: 'traffic', timestamp: 1_800_000_000, values: { bytes: null } },
    );
    sink.messages.length = 0;
    clock.t += 60;
    await poller.run();
    assert.deepEqual(kinds(sink.messages), ['data'], 'no info between refreshes when nothing changed');
    assert.equal(data(sink.messages)[0].points.find((p) => p.plugin === 'traffic')?.values.bytes, 10);
    sink.messages.length = 0;
    clock.t += 300;
    await poller.run();
    assert.deepEqual(
      kinds(sink.messages),
      ['host:self-host', 'info:self-host:traffic', 'info:self-host:numeter_poller', 'data'],
      'refresh after plugins_refresh_time',
    );
  });

  it('republishes a plugin info as soon as its description changes', async () => {
    const clock = { t: 1_800_000_000 };
    const sink = new MemorySink();
    const module = new ScriptedModule('m', (poll) => ({ plugins: [traffic(poll < 2 ? 'bytes' : 'octets')], samples: [] }));
    const poller = cycle([module], { sink, clock });
    for (let i = 0; i < 3; i++) {
      await poller.run();
      clock.t += 60;
    }
    const infos = sink.messages.filter((m) => m.kind === 'info' && m.plugin === 'traffic');
    assert.equal(infos.length, 2);
    assert.equal(infos[1].kind === 'info' && infos[1].fields.bytes.label, 'octets');
  });

  it('keeps going when a module throws, a plugin is undescribed, or a point is invalid', async () => {
    const clock = { t: 1_800_000_000 };
    const sink = new MemorySink();
    const broken = new ScriptedModule('broken', () => {
      throw new Error('node unreachable');
    });
    const sloppy = new ScriptedModule(
      'sloppy',
      (): Collection => ({
        plugins: [
          { plugin: 'ok', title: 'ok', fields: { v: { label: 'v', type: 'GAUGE' } } },
          { plugin: 'bad/name', title: 'bad', fields: { v: { label: 'v', type: 'GAUGE' } } },
        ],
        samples: [
          { plugin: 'ok', values: { v: 1 } },
          { plugin: 'bad/name', values: { v: 2 } },
          { plugin: 'nobody-described-me', values: { v: 3, w: 4 } },
        ],
        errors: ['one plugin problem'],
      }),
    );
    const poller = cycle([broken, sloppy], { sink, clock });
    const result = await poller.run();
    assert.equal(result.moduleErrors, 2);
    assert.equal(result.collected, 4);
    assert.equal(result.dropped, 3, 'two undescribed values and the invalid point');
    const points = data(sink.messages).flatMap((m) => m.points);
    assert.deepEqual(points.find((p) => p.plugin === 'ok')?.values, { v: 1 });
    const selfPoints = () => data(sink.messages).flatMap((m) => m.points.filter((p) => p.plugin === 'numeter_poller'));
    assert.deepEqual(
      selfPoints()[0]?.values,
      {
        collected: null,
        spooled: null,
        published: null,
        dropped: null,
        spool_records: null,
        spool_bytes: null,
        spool_age: null,
        poll_duration: 0,
        module_errors: null,
      },
      'the self counters are DERIVE: the first reading has no rate yet',
    );
    clock.t += 60;
    await poller.run();
    assert.deepEqual(
      selfPoints()[1]?.values,
      {
        collected: 4 / 60,
        spooled: 10 / 60, // the point of `ok` and the nine self-metric values of the first poll
        published: null,
        dropped: 3 / 60,
        spool_records: null,
        spool_bytes: null,
        spool_age: null,
        poll_duration: 0,
        module_errors: 2 / 60,
      },
      'per poll: 4 collected, 10 spooled, 3 dropped, 2 errors; as rates per second over the 60 s between polls',
    );
    assert.ok(!sink.messages.some((m) => m.kind === 'info' && m.plugin === 'bad/name'), 'the invalid info message is dropped too');
    for (const message of sink.messages) assert.ok(MessageSchema.safeParse(message).success);
  });

  it('gives up on a hung module at the deadline and does not call it again while it hangs', async () => {
    const clock = { t: 1_800_000_000 };
    const sink = new MemorySink();
    let calls = 0;
    const hung: PollerModule = {
      name: 'hung',
      collect: () => {
        calls++;
        return new Promise(() => {});
      },
    };
    const fine = new ScriptedModule('fine', () => ({
      plugins: [traffic('bytes')],
      samples: [{ plugin: 'traffic', values: { bytes: 1 } }],
    }));
    const poller = cycle([hung, fine], { sink, clock, moduleTimeoutSeconds: 0.05 });
    const first = await poller.run();
    const second = await poller.run();
    assert.equal(first.moduleErrors, 1);
    assert.equal(second.moduleErrors, 1);
    assert.equal(calls, 1, 'not asked again while its first call hangs');
    assert.equal(
      data(sink.messages)
        .flatMap((m) => m.points)
        .filter((p) => p.plugin === 'traffic').length,
      2,
    );
  });

  it('republishes info after the sink failed', async () => {
    const clock = { t: 1_800_000_000 };
    const messages: Message[] = [];
    let fail = true;
    const sink: MessageSink = {
      publish: async (batch) => {
        if (fail) throw new Error('disk full');
        messages.push(...batch);
      },
    };
    const module = new ScriptedModule('m', () => ({ plugins: [traffic('bytes')], samples: [] }));
    const poller = cycle([module], { sink, clock });
    const first = await poller.run();
    assert.equal(first.spooled, 0);
    assert.ok(first.dropped > 0);
    fail = false;
    clock.t += 60;
    await poller.run();
    assert.ok(kinds(messages).includes('info:self-host:traffic'));
  });

  it('publishes for other hosts a module speaks for, and splits data per host', async () => {
    const clock = { t: 1_800_000_000 };
    const sink = new MemorySink();
    const module = new ScriptedModule('kvm', () => ({
      hosts: [{ hostId: 'vm-web', name: 'vm-web', description: 'a VM' }],
      plugins: [{ plugin: 'vm_cpu', hostId: 'vm-web', title: 'VM CPU', fields: { used: { label: 'used', type: 'GAUGE' } } }],
      samples: [{ plugin: 'vm_cpu', hostId: 'vm-web', values: { used: 12 } }],
    }));
    await cycle([module], { sink, clock }).run();
    assert.deepEqual(kinds(sink.messages), [
      'host:vm-web',
      'host:self-host',
      'info:vm-web:vm_cpu',
      'info:self-host:numeter_poller',
      'data',
      'data',
    ]);
    const vm = data(sink.messages).find((m) => m.hostId === 'vm-web');
    assert.deepEqual(vm?.points, [{ plugin: 'vm_cpu', timestamp: 1_800_000_000, values: { used: 12 } }]);
  });

  it('splits many points into several data messages', async () => {
    const clock = { t: 1_800_000_000 };
    const sink = new MemorySink();
    const plugins = Array.from({ length: 25 }, (_, i) => ({
      plugin: `p${i}`,
      title: `p${i}`,
      fields: { v: { label: 'v', type: 'GAUGE' as const } },
    }));
    const module = new ScriptedModule('many', () => ({ plugins, samples: plugins.map((p) => ({ plugin: p.plugin, values: { v: 1 } })) }));
    await cycle([module], { sink, clock, maxPointsPerMessage: 10 }).run();
    assert.deepEqual(
      data(sink.messages).map((m) => m.points.length),
      [10, 10, 6],
    );
  });
});

describe('custom modules', () => {
  let temp: TempDir;
  let dir: string;
  before(async () => {
    temp = await tempDir('poller-custom');
    dir = temp.dir;
    await writeFile(
      join(dir, 'ups.mjs'),
      `export function createModule(context) {
  let calls = 0;
  return {
    name: 'ups',
    getInfo: () => [{ plugin: 'ups_load', title: 'UPS load ' + context.config.model, fields: { load: { label: 'load', type: 'GAUGE' } } }],
    getData: () => [{ plugin: 'ups_load', values: { load: 40 + calls++ } }],
  };
}
export const timed = (context) => ({
  name: 'timed',
  collect: async (request) => ({
    plugins: [{ plugin: 'timed', title: 'timed', fields: { a: { label: 'a', type: 'GAUGE' } } }],
    samples: [{ plugin: 'timed', timestamp: request.now, values: { a: context.now(), b: request.nowSeconds } }],
  }),
});
export const broken = () => { throw new Error('no UPS attached'); };
export const notAModule = () => 42;
`,
    );
  });
  after(() => temp.remove());

  const context = (config: Record<string, string> = {}) => ({
    config,
    ini: {},
    hostId: 'h',
    stateDir: dir,
    logger: silentLogger(),
    nowSeconds: () => 1_800_000_000,
  });

  it('loads getInfo/getData modules from a path with their own config section', async () => {
    const module = await loadCustomModule(join(dir, 'ups.mjs'), undefined, context({ model: 'X1' }));
    assert.equal(module.name, 'ups');
    const collection = await module.collect({ nowSeconds: 1, wantInfo: true });
    assert.equal(collection.plugins?.[0].title, 'UPS load X1');
    assert.deepEqual(collection.samples, [{ plugin: 'ups_load', values: { load: 40 } }]);
  });

  it('gives the time in seconds as nowSeconds and under the original name now', async () => {
    const module = await loadCustomModule(join(dir, 'ups.mjs'), 'timed', context());
    const collection = await module.collect({ nowSeconds: 1_700_000_000, wantInfo: true });
    assert.deepEqual(collection.samples, [{ plugin: 'timed', timestamp: 1_700_000_000, values: { a: 1_800_000_000, b: 1_700_000_000 } }]);
  });

  it('runs the example module of docs/poller.md', async () => {
    const docs = await readFile(join(dirname(fileURLToPath(import.meta.url)), '../../../docs/poller.md'), 'utf8');
    const example = /```js\n([\s\S]*?)```/.exec(docs)?.[1];
    assert.ok(example, 'docs/poller.md has a js example');
    await writeFile(join(dir, 'docs-ups.mjs'), example);
    const status = join(dir, 'ups-status.json');
    const module = await loadCustomModule(join(dir, 'docs-ups.mjs'), undefined, context({ status_file: status }));
    const clock = { t: 1_800_000_000 };
    const sink = new MemorySink();
    const poller = cycle([module], { sink, clock });
    await writeFile(status, JSON.stringify({ watts: 420, joules: 1_000_000 }));
    await poller.run();
    clock.t += 60;
    await writeFile(status, JSON.stringify({ watts: 430, joules: 1_025_200 }));
    await poller.run();
    const ups = data(sink.messages)
      .flatMap((m) => m.points)
      .filter((p) => p.plugin === 'ups');
    assert.deepEqual(
      ups.map((p) => p.values),
      [
        { load: 420, energy: null },
        { load: 430, energy: 420 },
      ],
    );
  });

  it('reports load errors clearly', async () => {
    await assert.rejects(loadCustomModule(join(dir, 'missing.mjs'), undefined, context()), /cannot load module .*missing\.mjs/);
    await assert.rejects(loadCustomModule(join(dir, 'ups.mjs'), 'nope', context()), /exports no function nope/);
    await assert.rejects(loadCustomModule(join(dir, 'ups.mjs'), 'broken', context()), /failed to start: no UPS attached/);
    await assert.rejects(
      loadCustomModule(join(dir, 'ups.mjs'), 'notAModule', context()),
      /must return an object with collect\(\) or getData\(\)/,
    );
    await assert.rejects(loadCustomModule('numeter-no-such-package', undefined, context()), /cannot find package numeter-no-such-package/);
  });
});
