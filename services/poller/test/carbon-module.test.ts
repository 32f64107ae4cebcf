import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { createLogger } from '../../../common/logging/index.js';
import { type DataMessage, Message, type PluginInfoMessage } from '../../../common/schemas/index.js';
import { eventually } from '../../../common/testing/eventually.js';
import { CarbonModule } from '../src/modules/carbon/module.js';
import { carbonSection } from '../src/modules/carbon/settings.js';
import { ListenError } from '../src/modules/carbon/tcp-lines.js';

const logger = createLogger({ name: 'carbon-test', level: 'silent' });
const TS = 1_800_000_000;

function carbon(keys: Record<string, string> = {}, publish?: (m: Message[]) => Promise<void>) {
  const published: Message[] = [];
  const module = new CarbonModule(carbonSection.parse({ listen: '127.0.0.1:0', flush_interval: '60', ...keys }), {
    publish: publish ?? (async (messages) => void published.push(...messages)),
    selfHost: 'poller-self',
    logger,
    nowSeconds: () => Date.now() / 1000,
    refreshSeconds: 300,
    maxPointsPerMessage: 500,
  });
  return { module, published };
}

function values(published: Message[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of published)
    if (m.kind === 'data')
      for (const p of m.points)
        for (const [ds, v] of Object.entries(p.values)) out.set(`${m.hostId}/${p.plugin}/${ds}@${p.timestamp}`, v as number);
  return out;
}

async function sendTcp(port: number, text: string | Buffer, keepOpen = false): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  await new Promise<void>((resolve) => socket.write(text, () => resolve()));
  if (!keepOpen) {
    socket.end();
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
  }
  return socket;
}

describe('carbon module', () => {
  const started: CarbonModule[] = [];
  after(async () => {
    for (const m of started) await m.stop();
  });
  async function startCarbon(keys: Record<string, string> = {}, publish?: (m: Message[]) => Promise<void>) {
    const c = carbon(keys, publish);
    await c.module.start();
    started.push(c.module);
    return c;
  }

  test('TCP lines become valid host info, plugin info and one data message per host, infos first', async () => {
    const { module, published } = await startCarbon();
    await sendTcp(
      module.ports.tcp,
      `web1.cpu-0.cpu-user 1.5 ${TS}\nweb1.cpu-0.cpu-system 2 ${TS}\nweb1.load.load.shortterm 0.5 ${TS}\nweb2.memory.memory-used 4e9 ${TS}\n`,
    );
    await eventually(() => module.stats().values === 4, 5000, '4 values');
    await module.flush();
    for (const m of published) Message.parse(m);
    const kinds = published.map((m) => m.kind);
    assert.ok(kinds.lastIndexOf('info') < kinds.indexOf('data'), 'infos before data');
    assert.deepEqual(
      published
        .filter((m) => m.kind === 'host')
        .map((m) => m.hostId)
        .sort(),
      ['web1', 'web2'],
    );
    const infos = published.filter((m): m is PluginInfoMessage => m.kind === 'info');
    assert.deepEqual(infos.map((i) => `${i.hostId}/${i.plugin}`).sort(), ['web1/cpu-0', 'web1/load.load', 'web2/memory']);
    assert.deepEqual(Object.keys(infos.find((i) => i.plugin === 'cpu-0')!.fields), ['cpu-user', 'cpu-system']);
    const data = published.filter((m): m is DataMessage => m.kind === 'data');
    assert.equal(data.length, 2, 'one data message per host');
    assert.deepEqual(data.find((m) => m.hostId === 'web1')!.points.find((p) => p.plugin === 'cpu-0')!.values, {
      'cpu-user': 1.5,
      'cpu-system': 2,
    });
    assert.equal(values(published).get(`web2/memory/memory-used@${TS}`), 4e9);
    published.length = 0;
    await sendTcp(module.ports.tcp, `web1.cpu-0.cpu-user 3 ${TS + 1}\n`);
    await eventually(() => module.stats().values === 5, 5000, '1 more value');
    await module.flush();
    assert.deepEqual(
      published.map((m) => m.kind),
      ['data'],
      'known plugins: no info again before the refresh',
    );
  });

  test('a second value for one second: the first is kept, in the batch and after it was flushed; older seconds still go in', async () => {
    const { module, published } = await startCarbon();
    await sendTcp(module.ports.tcp, `dup.p.v 1 ${TS}\ndup.p.v 2 ${TS}\n`);
    await eventually(() => module.stats().lines === 2, 5000, '2 lines');
    await module.flush();
    await sendTcp(module.ports.tcp, `dup.p.v 3 ${TS}\ndup.p.v 4 ${TS - 10}\n`);
    await eventually(() => module.stats().lines === 4, 5000, '4 lines');
    await module.flush();
    const stored = values(published);
    assert.equal(stored.get(`dup/p/v@${TS}`), 1);
    assert.equal(stored.get(`dup/p/v@${TS - 10}`), 4);
    const atTs = published.flatMap((m) => (m.kind === 'data' ? m.points.filter((p) => p.timestamp === TS) : []));
    assert.equal(atTs.length, 1, 'one message only ever holds that second');
    assert.equal(module.refusals().same_second, 2);
  });

  test('a hostile corpus on one connection: every good line stored, every bad one counted by reason, the connection goes on', async () => {
    const { module, published } = await startCarbon({ max_line_length: '256' });
    const corpus: Array<[string, string | null]> = [
      ['good.p.a 1', null],
      ['garbage', 'malformed'],
      ['a.b.c 1 2 3 4', 'malformed'],
      ['a.b.c one', 'bad_value'],
      ['a.b.c 0x10', 'bad_value'],
      ['a.b.c nan', 'nan_value'],
      ['a.b.c inf', 'value_out_of_range'],
      ['a.b.c -1e400', 'value_out_of_range'],
      [`a.b.c 1 ${TS * 1000}`, 'bad_timestamp'],
      ['a.b.c 1 -5', 'bad_timestamp'],
      ['a.b;x=y.c 1', 'tagged'],
      ['../../etc.passwd.x 1', 'unsafe_name'],
      ['a.b/c.d 1', 'unsafe_name'],
      ['a.*.d 1', 'unsafe_name'],
      ['a.__proto__.d 1', 'unsafe_name'],
      ['a.b\u0000.d 1', 'unsafe_name'],
      ['a.b\u00ff.d 1', 'unsafe_name'],
      ['<script>.b.c 1', 'unsafe_name'],
      ['ab.c 1', 'unmapped'],
      [`a.b.${'x'.repeat(300)} 1`, 'line_too_long'],
      ['good.p.b 2', null],
    ];
    const text = Buffer.concat([
      ...corpus.map(([line]) => Buffer.from(`${line}\n`, 'latin1')),
      Buffer.from([0x67, 0x6f, 0x6f, 0x64, 0x2e, 0x70, 0x2e, 0xc3, 0xa9, 0x20, 0x31, 0x0a]), // good.p.é 1 (UTF-8)
      Buffer.from('good.p.c 3\n'),
    ]);
    const socket = await sendTcp(module.ports.tcp, text, true);
    await eventually(() => module.stats().values === 3, 5000, 'the good lines');
    assert.equal(socket.destroyed, false, 'the connection stays open');
    socket.end();
    await module.flush();
    const stored = [...values(published).keys()].map((k) => k.replace(/@\d+$/, '')).sort();
    assert.deepEqual(stored, ['good/p/a', 'good/p/b', 'good/p/c']);
    const expected: Record<string, number> = {};
    for (const [, reason] of corpus) if (reason) expected[reason] = (expected[reason] ?? 0) + 1;
    expected.unsafe_name++;
    const refusals = module.refusals();
    for (const [reason, count] of Object.entries(expected)) assert.equal(refusals[reason], count, reason);
    const self = await module.collect({ nowSeconds: TS, wantInfo: true });
    assert.equal(self.samples[0].values.bad_unsafe_name, expected.unsafe_name, 'the self-metrics carry the reasons');
    assert.equal(self.plugins?.[0].fields.bad_malformed.type, 'DERIVE');
  });

  test('a line that never ends is cut at max_line_length, the connection closed after line_timeout; the rest go on', async () => {
    const { module } = await startCarbon({ max_line_length: '100', line_timeout: '1' });
    const slow = await sendTcp(module.ports.tcp, 'a.b.c 1', true);
    const flood = await sendTcp(module.ports.tcp, 'x'.repeat(10_000), true);
    await sendTcp(module.ports.tcp, 'ok.p.d 1\n');
    await eventually(() => slow.destroyed || slow.readableEnded, 5000, 'the stalled client closed');
    assert.equal(module.refusals().incomplete_line_timeout >= 1, true);
    assert.equal(module.refusals().line_too_long, 1, 'the endless line reported once');
    assert.equal(module.stats().values, 1);
    flood.destroy();
  });

  test('too many connections: the extra one is closed at once, the others keep working', async () => {
    const { module } = await startCarbon({ max_connections: '2' });
    const a = await sendTcp(module.ports.tcp, '', true);
    const b = await sendTcp(module.ports.tcp, '', true);
    const c = connect(module.ports.tcp, '127.0.0.1');
    await new Promise<void>((resolve) => c.on('close', () => resolve()).on('error', () => {}));
    assert.equal(module.refusals().too_many_connections, 1);
    a.write('ok.p.a 1\n');
    await eventually(() => module.stats().values === 1, 5000, 'a still works');
    a.destroy();
    b.destroy();
  });

  test('a flood of bad lines closes that connection only', async () => {
    const { module } = await startCarbon({ max_bad_lines: '10' });
    const bad = await sendTcp(module.ports.tcp, 'bad\n'.repeat(50), true);
    await eventually(() => bad.destroyed || bad.readableEnded, 5000, 'the flooding client closed');
    await sendTcp(module.ports.tcp, 'ok.p.a 1\n');
    await eventually(() => module.stats().values === 1, 5000, 'the good client');
    assert.equal(module.refusals().bad_line_flood, 1);
    bad.destroy();
  });

  test('UDP: several lines per datagram, the last one without newline', async () => {
    const { module, published } = await startCarbon();
    const client = createSocket('udp4');
    await new Promise<void>((resolve) =>
      client.send(`u.p.a 1 ${TS}\nbad line here x\nu.p.b 2 ${TS}`, module.ports.udp as number, '127.0.0.1', () => resolve()),
    );
    client.close();
    await eventually(() => module.stats().values === 2, 5000, '2 values');
    await module.flush();
    assert.equal(values(published).get(`u/p/b@${TS}`), 2);
    assert.equal(module.refusals().malformed, 1);
  });

  test('a full batch stops reading the clients until the spool took it: nothing is lost', async () => {
    let calls = 0;
    const published: Message[] = [];
    const { module } = await startCarbon({ max_buffered_values: '1000' }, async (messages) => {
      calls++;
      await new Promise((r) => setTimeout(r, 20));
      published.push(...messages);
    });
    const lines = Array.from({ length: 20_000 }, (_, i) => `bp.p.v${i % 100} ${i} ${TS + Math.floor(i / 100)}`).join('\n');
    await sendTcp(module.ports.tcp, `${lines}\n`);
    await eventually(() => module.stats().values === 20_000, 20_000, 'every line');
    await module.flush();
    assert.equal(values(published).size, 20_000);
    // A chunk already read is finished before the pause takes effect: about 1,000 values per flush, not exactly.
    assert.ok(calls >= 10, `flushed as the batch filled (${calls} flushes)`);
  });

  test('a port in use: start fails with ListenError and leaves nothing open; a second stop awaits the first', async () => {
    const { module: first } = await startCarbon();
    const clash = carbon({ listen: `127.0.0.1:${first.ports.tcp}` }).module;
    await assert.rejects(clash.start(), ListenError);
    // TCP free, UDP busy: the TCP listener it opened is closed again.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const udpBusy = createSocket('udp4');
    try {
      await new Promise<void>((resolve) => udpBusy.bind(port, '127.0.0.1', () => resolve()));
      const half = carbon({ listen: `127.0.0.1:${port}` }).module;
      await assert.rejects(half.start(), ListenError);
      const again = carbon({ listen: `127.0.0.1:${port}`, udp: 'no' }).module;
      await again.start();
      const stops = [again.stop(), again.stop()];
      let firstDone = false;
      void stops[0].then(() => {
        firstDone = true;
      });
      await stops[1];
      assert.equal(firstDone, true, 'the second stop returned only after the first');
    } finally {
      udpBusy.close();
    }
  });
});
