/**
 * `/render?format=png` (issue 10): a real PNG of the size asked, drawn by the shared chart
 * renderer (common/charts) with graphite-web's graph parameters and the display functions'
 * hints; series names are text (hostile ones included); limits answer 400/503 naming them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PngRenderPool, renderSvg } from '../../../common/charts/index.js';
import { chartModel, graphiteColor, type PngParams } from '../src/api/graphite-png.js';
import { Series } from '../src/query/series.js';
import { type Fixture, NOW, series, startFixture } from './api-fixtures.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const EVIL = '<script>alert("x")</script> & \'q\'';

/** Signature, then the IHDR chunk: its width and height. */
function pngSize(png: Buffer): { width: number; height: number } {
  assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE);
  assert.equal(png.subarray(12, 16).toString('latin1'), 'IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

function params(overrides: Partial<PngParams> = {}): PngParams {
  return {
    width: 330,
    height: 250,
    lineWidth: 1.2,
    areaMode: 'none',
    hideLegend: undefined,
    colors: ['#6464ff', '#00c800', '#c80032'],
    model: { title: '', vlabel: '', base: 1000, thresholds: [], logarithmic: false },
    ...overrides,
  };
}

function line(name: string, values: (number | null)[], options: Series['options'] = {}): Series {
  const s = new Series({ name, start: 600, end: 600 + 60 * values.length, step: 60, values });
  s.options = options;
  return s;
}

describe('Graphite render as PNG: the chart model', () => {
  it('colours from colorList in turn, or the color() hint; width, dashes and the right axis from the hints', () => {
    const model = chartModel(
      [
        line('a', [1, 2]),
        line('b', [1, 2], { color: 'red', lineWidth: 3 }),
        line('c', [1, 2], { dashed: 5, secondYAxis: true }),
        line('d', [1, 2]),
      ],
      params(),
    );
    assert.deepEqual(
      model.series.map((s) => [s.colour, s.lineWidth, s.dashed, s.axis]),
      [
        ['#6464ff', 1.2, undefined, 'left'],
        ['#c80032', 3, undefined, 'left'],
        ['#c80032', 1.2, 5, 'right'],
        ['#6464ff', 1.2, undefined, 'left'],
      ],
    );
    assert.equal(graphiteColor('%23FF8000', 'bgcolor'), '#ff8000');
    assert.equal(graphiteColor('00ff0080', 'bgcolor'), '#00ff00');
    assert.throws(() => graphiteColor('url(x)', 'fgcolor'), /fgcolor: "url\(x\)" is not a colour/);
  });

  it('areaMode=stacked adds the left-axis series up (nulls skipped), as glyph.py; first and all fill areas', () => {
    const list = [line('a', [1, null, 3]), line('b', [10, 20, null]), line('r', [5, 5, 5], { secondYAxis: true })];
    const stacked = chartModel(list, params({ areaMode: 'stacked' }));
    assert.deepEqual(
      stacked.series.map((s) => s.values),
      [
        [1, null, 3],
        [11, 20, null],
        [5, 5, 5],
      ],
    );
    assert.deepEqual(
      stacked.series.map((s) => s.precomputedStack),
      [true, true, false],
    );
    assert.deepEqual(
      chartModel(list, params({ areaMode: 'first' })).series.map((s) => s.kind),
      ['area', 'line', 'line'],
    );
    assert.deepEqual(
      chartModel(list, params({ areaMode: 'all' })).series.map((s) => s.kind),
      ['area', 'area', 'area'],
    );
  });

  it('series of different steps share one grid (their least common multiple, bucket averages)', () => {
    const fine = new Series({ name: 'fine', start: 600, end: 840, step: 60, values: [1, 3, 5, 7] });
    const coarse = new Series({ name: 'coarse', start: 600, end: 840, step: 120, values: [10, 20] });
    const model = chartModel([fine, coarse], params());
    assert.equal(model.step, 120);
    assert.deepEqual(model.timestamps, [600, 720]);
    assert.deepEqual(model.series[0].values, [2, 6]);
    assert.deepEqual(model.series[1].values, [10, 20]);
  });

  it('the legend: shown up to 10 series when hideLegend is unset, else as asked', () => {
    const many = Array.from({ length: 11 }, (_, i) => line(`s${i}`, [i]));
    assert.equal(chartModel(many.slice(0, 10), params()).legend, 'names');
    assert.equal(chartModel(many, params()).legend, 'none');
    assert.equal(chartModel(many, params({ hideLegend: false })).legend, 'names');
    assert.equal(chartModel(many.slice(0, 2), params({ hideLegend: true })).legend, 'none');
  });

  it('series names, title and vtitle are escaped text in the drawing, whatever they hold', () => {
    const model = chartModel([line(EVIL, [1, 2, 3]), line('plain.name', [3, 2, 1])], params());
    model.title = EVIL;
    const svg = renderSvg(model, { width: 600, height: 300, theme: 'light' });
    assert.ok(svg.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;'), 'name escaped in the SVG');
    assert.ok(svg.includes('plain.name'), 'the other name drawn');
    assert.ok(!svg.includes('<script'));
  });
});

describe('Graphite render as PNG over HTTP', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture();
    for (let h = 0; h < 3; h++) {
      await fx.addHost(`h${h}`);
      await fx.addPlugin(`h${h}`, 'load', { load: 'load' });
      fx.writeSeries(
        `h${h}`,
        'load',
        'load',
        series(60, 86_400, (t) => ((t / 60 + h * 13) % 50) / 10),
      );
    }
  });
  after(() => fx.close());

  const render = (query: string) => fx.get(`/render?${query}&from=${NOW - 86_400}&until=${NOW}`);

  it('answers a PNG of graphite-web default size (330 × 250), or of the size asked, GET or POST', async () => {
    const res = await render('target=*.load.load&format=png');
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('content-type'), 'image/png');
    assert.deepEqual(pngSize(Buffer.from(await res.arrayBuffer())), { width: 330, height: 250 });
    const body = new URLSearchParams({
      target: 'stacked(color(h0.load.load, "blue"))',
      format: 'png',
      width: '640',
      height: '300',
      title: 'load',
      areaMode: 'all',
      from: String(NOW - 3600),
      until: String(NOW),
    });
    const posted = await fetch(`${fx.base}/render`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    assert.equal(posted.status, 200);
    assert.deepEqual(pngSize(Buffer.from(await posted.arrayBuffer())), { width: 640, height: 300 });
  });

  it('a hostile alias is drawn as text, never breaking the image', async () => {
    const target = encodeURIComponent(`alias(h1.load.load, "<img src=x onerror=alert(1)> & 'q' </svg>")`);
    const res = await render(`target=${target}&format=png&bgcolor=black&fgcolor=white&colorList=${encodeURIComponent('%23ff8000,green')}`);
    assert.equal(res.status, 200);
    pngSize(Buffer.from(await res.arrayBuffer()));
  });

  it('answers 400 naming a bad or too large size, a bad colour, too many series', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['width=5000', 'width', /width must be a whole number of pixels from 200 to 4000/],
      ['width=4000&height=3000', 'width', /at most 4000000 pixels/],
      ['height=abc', 'height', /height must be a whole number/],
      ['bgcolor=nocolour', 'bgcolor', /bgcolor: "nocolour" is not a colour/],
      ['areaMode=sideways', 'areaMode', /areaMode must be one of none, first, all, stacked/],
      ['yMin=low', 'yMin', /yMin must be a number/],
    ];
    for (const [query, parameter, message] of cases) {
      const res = await render(`target=h0.load.load&format=png&${query}`);
      assert.equal(res.status, 400, query);
      const body = (await res.json()) as { error: string; parameter?: string };
      assert.equal(body.parameter, parameter, query);
      assert.match(body.error, message);
    }
    const targets = Array.from({ length: 35 }, () => 'target=*.load.load').join('&');
    const tooMany = await render(`${targets}&format=png`);
    assert.equal(tooMany.status, 400);
    const body = (await tooMany.json()) as { error: string; parameter?: string };
    assert.equal(body.parameter, 'target');
    assert.match(body.error, /a PNG draws at most 100 series \(this graph has 105\)/);
  });
});

describe('Graphite render as PNG: the worker pool protects the storage', () => {
  it('503 naming the time limit, and 503 busy beyond concurrency + queue', async () => {
    const strict = new PngRenderPool({ concurrency: 1, queueLimit: 0, timeoutMs: 1 });
    const fx = await startFixture({ png: strict });
    try {
      await fx.addHost('h0');
      await fx.addPlugin('h0', 'load', { load: 'load' });
      fx.writeSeries(
        'h0',
        'load',
        'load',
        series(60, 86_400, (t) => t % 7),
      );
      const query = `/render?target=h0.load.load&format=png&from=${NOW - 86_400}&until=${NOW}`;
      const slow = await fx.get(query);
      assert.equal(slow.status, 503);
      assert.match(((await slow.json()) as { error: string }).error, /stopped after the 1 ms limit/);
      const busy = await Promise.all([fx.get(query), fx.get(query), fx.get(query)]);
      const errors = await Promise.all(busy.map(async (r) => [r.status, ((await r.json()) as { error: string }).error] as const));
      assert.ok(
        errors.some(
          ([status, error]) => status === 503 && /busy: 1 renders running or waiting \(the limit: 1 at once and 0 waiting\)/.test(error),
        ),
        JSON.stringify(errors),
      );
    } finally {
      await fx.close();
      await strict.stop();
    }
  });
});
