/**
 * PNG export bounds (issue 15 item 14): size and series limits answer 400 naming them, long
 * series are averaged down to the width, renders run in worker threads with a concurrency,
 * queue and time limit (503 naming the limit), and the server keeps answering meanwhile.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { downsampleToWidth, PNG_LIMITS, PngBusyError, PngRenderPool, PngTimeoutError } from '../../../common/charts/index.js';
import { buildGraph } from '../src/render/model.js';
import type { GraphModel } from '../src/render/types.js';
import { loginAgent } from './helpers.js';
import { createUiWorld, type UiWorld } from './ui-world.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const size = { width: 800, height: 300, theme: 'light' as const };

function bigModel(series: number, points: number): GraphModel {
  const infos = Object.fromEntries(Array.from({ length: series }, (_, s) => [`f${s}`, { id: `f${s}`, label: `series ${s}` }]));
  const datas = Object.fromEntries(
    Array.from({ length: series }, (_, s) => [`f${s}`, Array.from({ length: points }, (_, i) => Math.sin(i / 50 + s) * 100)]),
  );
  return buildGraph({ Plugin: 'big', Title: 'big', Infos: infos }, { TS_start: 1_700_000_000, TS_step: 10, DATAS: datas });
}

describe('PNG limits', () => {
  it('averages a series down to one point per pixel column, keeping the stats of the whole series', () => {
    const model = buildGraph(
      { Plugin: 'p', Title: 't', Infos: { a: { id: 'a', label: 'a' } } },
      { TS_start: 1000, TS_step: 10, DATAS: { a: [1, 3, null, null, 5, 7, 9] } },
    );
    const small = downsampleToWidth(model, 3);
    assert.deepEqual(small.timestamps, [1000, 1030, 1060]);
    assert.equal(small.step, 30);
    assert.deepEqual(small.series[0].values, [2, 6, 9]); // [1, 3, -], [-, 5, 7], [9]
    assert.deepEqual(small.series[0].stats, model.series[0].stats);
    assert.equal(downsampleToWidth(model, 10), model, 'short series are left alone');
    const huge = downsampleToWidth(bigModel(2, 100_000), 800);
    assert.ok(huge.timestamps.length <= 800 && huge.series.every((s) => s.values.length === huge.timestamps.length));
  });

  it('renders in a worker: the event loop keeps turning during a big render', async () => {
    const pool = new PngRenderPool({ concurrency: 1, queueLimit: 1, timeoutMs: 120_000 });
    try {
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 5);
      const png = await pool.render(downsampleToWidth(bigModel(30, 20_000), 1600), { ...size, width: 1600, height: 900 });
      clearInterval(ticker);
      assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE);
      assert.ok(ticks >= 3, `timers ran while the PNG was drawn (${ticks})`);
    } finally {
      await pool.stop();
    }
  });

  it('refuses more than concurrency + queue at once (503 busy), and stops a render at its time limit', async () => {
    const busy = new PngRenderPool({ concurrency: 1, queueLimit: 1, timeoutMs: 120_000 });
    try {
      const model = bigModel(2, 100);
      const results = await Promise.allSettled([busy.render(model, size), busy.render(model, size), busy.render(model, size)]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'fulfilled', 'rejected'],
      );
      const refused = (results[2] as PromiseRejectedResult).reason;
      assert.ok(refused instanceof PngBusyError && refused.status === 503, String(refused));
      assert.match(refused.message, /2 renders running or waiting \(the limit: 1 at once and 1 waiting\)/);
    } finally {
      await busy.stop();
    }
    // The limit counts from the worker being ready; no render of 20 × 2000 points takes under 1 ms.
    const strict = new PngRenderPool({ concurrency: 1, queueLimit: 1, timeoutMs: 1 });
    try {
      await assert.rejects(strict.render(bigModel(20, 2000), size), (e) => e instanceof PngTimeoutError && /1 ms limit/.test(e.message));
      assert.equal(strict.counters.timedOut, 1);
    } finally {
      await strict.stop();
    }
  });
});

describe('PNG export over HTTP', () => {
  let w: UiWorld;
  let root: Awaited<ReturnType<typeof loginAgent>>;
  before(async () => {
    w = await createUiWorld();
    root = await loginAgent(w.app, 'root', 'root-password');
  });
  after(async () => w?.close());

  it('answers 400 naming the size limit, and 503 naming the time limit', async () => {
    const url = `/export/hosts/${w.web1.id}/plugins/if_eth0.png`;
    const tooBig = await root.agent.get(`${url}?width=4000&height=3000`).expect(400);
    assert.equal(tooBig.body.field, 'width');
    assert.match(tooBig.body.error, new RegExp(`at most ${PNG_LIMITS.maxPixels} pixels`));
    await root.agent.get(`${url}?width=5000`).expect(400);
    const normal = w.t.deps.png;
    w.t.deps.png = new PngRenderPool({ concurrency: 1, queueLimit: 0, timeoutMs: 1 });
    try {
      const slow = await root.agent.get(url).expect(503);
      assert.match(slow.body.error, /1 ms limit/);
    } finally {
      await w.t.deps.png.stop();
      w.t.deps.png = normal;
    }
    const ok = await root.agent
      .get(`${url}?width=2000&height=1500`)
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    assert.equal(ok.status, 200);
    assert.deepEqual((ok.body as Buffer).subarray(0, 8), PNG_SIGNATURE);
  });
});
