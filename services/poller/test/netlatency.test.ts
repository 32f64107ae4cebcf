import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NetLatencyConfigError, NetLatencyModule, parseNetLatencySettings } from '../src/modules/netlatency/module.js';
import { parsePingOutput } from '../src/modules/netlatency/probes.js';
import type { Collection } from '../src/modules/types.js';
import { startStalledListener } from './peers/netlatency/stalled-listener.js';

/**
 * Real probes, loopback only (127.0.0.0/8): a listening port, a closed port, a listener
 * that never completes a handshake, and ICMP through Debian's ping (iputils-ping).
 */
let server: Server;
let openPort: number;
let closedPort: number;
let stalled: Awaited<ReturnType<typeof startStalledListener>>;
const values = (c: Collection, plugin: string) => c.samples.find((s) => s.plugin === plugin)?.values ?? {};
const listen = (s: Server) =>
  new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as { port: number }).port)));

describe('netlatency module on loopback peers', () => {
  before(async () => {
    server = createServer((socket) => socket.destroy());
    openPort = await listen(server);
    const closed = createServer();
    closedPort = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    stalled = await startStalledListener();
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await stalled?.stop();
  });

  it('measures TCP connect time and ICMP round trips; closed and stalled peers give unknown and 100 % loss, quickly', async () => {
    const module = new NetLatencyModule(
      parseNetLatencySettings({
        attempts: '2',
        timeout: '0.4',
        'peer.web-1': `127.0.0.1:${openPort}`,
        'peer.web.1': `127.0.0.1:${closedPort}`,
        'peer.black hole': `127.0.0.1:${stalled.port}`,
        'peer.lo5': '127.0.0.5',
        tcp_port: String(closedPort),
      }),
    );
    const started = Date.now();
    const collection = await module.collect({ nowSeconds: 1_800_000_000, wantInfo: true });
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 2500, `a poll with a stalled peer took ${elapsed} ms (2 × 0.4 s budget, peers concurrently)`);
    const tcp = values(collection, 'netlatency_tcp');
    const loss = values(collection, 'netlatency_tcp_loss');
    assert.deepEqual(Object.keys(tcp).sort(), ['black_hole', 'lo5', 'web_1', 'web_1_f20595'].sort());
    assert.ok(typeof tcp.web_1 === 'number' && tcp.web_1 >= 0 && tcp.web_1 < 400, String(tcp.web_1));
    assert.deepEqual(loss, { web_1: 0, web_1_f20595: 100, black_hole: 100, lo5: 100 });
    assert.equal(tcp.web_1_f20595, null);
    assert.equal(tcp.black_hole, null);
    const tcpPlugin = collection.plugins?.find((p) => p.plugin === 'netlatency_tcp');
    assert.equal(tcpPlugin?.fields.web_1_f20595.label, 'web.1');
    assert.equal(tcpPlugin?.fields.black_hole.info, `127.0.0.1:${stalled.port}`);
    const errors = (collection.errors ?? []).join('\n');
    assert.match(errors, new RegExp(`tcp web.1 \\(127.0.0.1:${closedPort}\\): connection refused \\(2/2 lost\\)`));
    assert.match(errors, /tcp black hole \(127.0.0.1:\d+\): no answer within 400 ms \(2\/2 lost\)/);

    const icmp = values(collection, 'netlatency_icmp');
    assert.deepEqual(values(collection, 'netlatency_icmp_loss'), { web_1: 0, web_1_f20595: 0, black_hole: 0, lo5: 0 });
    assert.ok(typeof icmp.lo5 === 'number' && icmp.lo5 >= 0 && icmp.lo5 < 100, String(icmp.lo5));
    assert.equal(collection.plugins?.find((p) => p.plugin === 'netlatency_icmp_loss')?.fields.lo5.max, 100);
  });

  it('leaves ICMP out when ping cannot run here (said once), or reports it unknown when icmp = yes', async () => {
    const auto = new NetLatencyModule(
      parseNetLatencySettings({ 'peer.a': `127.0.0.1:${openPort}`, attempts: '1', ping: '/nonexistent/ping' }),
    );
    const first = await auto.collect({ nowSeconds: 1_800_000_000, wantInfo: true });
    assert.deepEqual(
      first.plugins?.map((p) => p.plugin),
      ['netlatency_tcp', 'netlatency_tcp_loss'],
    );
    assert.match(first.errors?.[0] ?? '', /^netlatency: ICMP left out: ping unavailable: ENOENT/);
    const second = await auto.collect({ nowSeconds: 1_800_000_060, wantInfo: true });
    assert.deepEqual(second.errors, []);
    assert.equal(values(second, 'netlatency_tcp_loss').a, 0);

    const forced = new NetLatencyModule(
      parseNetLatencySettings({ 'peer.a': `127.0.0.1:${openPort}`, attempts: '1', ping: '/nonexistent/ping', icmp: 'yes' }),
    );
    const collection = await forced.collect({ nowSeconds: 1_800_000_000, wantInfo: true });
    assert.deepEqual(values(collection, 'netlatency_icmp'), { a: null });
    assert.deepEqual(values(collection, 'netlatency_icmp_loss'), { a: null });
    assert.match(collection.errors?.[0] ?? '', /^netlatency: ICMP unknown: /);
  });

  it('parses ping summaries with total loss (iputils) and partial loss (busybox)', async () => {
    const fixtures = join(import.meta.dirname, 'fixtures', 'netlatency');
    assert.deepEqual(parsePingOutput(await readFile(join(fixtures, 'ping-all-lost.txt'), 'utf8')), { sent: 3, received: 0, avgMs: null });
    assert.deepEqual(parsePingOutput(await readFile(join(fixtures, 'ping-busybox.txt'), 'utf8')), { sent: 3, received: 2, avgMs: 0.53 });
  });

  it('rejects bad peers and settings, listing every problem', () => {
    assert.throws(
      () => parseNetLatencySettings({ 'peer.x': '-oProxy=evil', 'peer.y': 'host:99999', attempts: '0', icmp: 'maybe' }),
      (error: unknown) => {
        assert.ok(error instanceof NetLatencyConfigError);
        for (const part of ['peer.x: "-oProxy=evil"', 'peer.y: "host:99999"', 'attempts "0"', 'icmp "maybe"'])
          assert.ok(error.message.includes(part), `${part} in ${error.message}`);
        return true;
      },
    );
    assert.deepEqual(
      parseNetLatencySettings({ 'peer.v6': '[::1]:80', 'peer.h': 'db.example:5432', 'peer.p': '::1' }).peers.map((p) => [p.host, p.port]),
      [
        ['::1', 80],
        ['db.example', 5432],
        ['::1', 22],
      ],
    );
  });
});
