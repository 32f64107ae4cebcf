import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Resvg } from '@resvg/resvg-js';
import request from 'supertest';
import { renderSvg } from '../../../common/charts/index.js';
import { buildGraph } from '../src/render/model.js';
import { loginAgent } from './helpers.js';
import { createUiWorld, EVIL_LABEL, EVIL_TITLE, type UiWorld } from './ui-world.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const pngSize = (png: Buffer) => ({ width: png.readUInt32BE(16), height: png.readUInt32BE(20) });

describe('export', () => {
  let w: UiWorld;
  let token: string;
  before(async () => {
    w = await createUiWorld();
    const root = await loginAgent(w.app, 'root', 'root-password');
    const created = await root.agent.post('/rest/tokens').set('X-CSRF-Token', root.csrf).send({ name: 'curl' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    token = created.body.token;
  });
  after(async () => w?.close());

  it('PNG of a plugin: a real PNG of the asked size, through a bearer token', async () => {
    const res = await request(w.app)
      .get(`/export/hosts/${w.web1.id}/plugins/if_eth0.png?res=Daily&width=640&height=320`)
      .set('Authorization', `Bearer ${token}`)
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    assert.equal(res.status, 200, String(res.body));
    assert.equal(res.headers['content-type'], 'image/png');
    const png = res.body as Buffer;
    assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE);
    assert.equal(png.subarray(12, 16).toString('latin1'), 'IHDR');
    assert.deepEqual(pngSize(png), { width: 640, height: 320 });
    // Decodes, and is not blank: many distinct pixels.
    const decoded = new Resvg(
      `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="320"><image href="data:image/png;base64,${png.toString('base64')}" width="640" height="320"/></svg>`,
    ).render();
    const pixels = decoded.pixels;
    const colours = new Set<number>();
    for (let i = 0; i < pixels.length; i += 4 * 97) colours.add(pixels.readUInt32BE(i));
    assert.ok(colours.size > 5, `only ${colours.size} colours`);
  });

  it('the rendering holds the title and legend as escaped text (hostile plugin)', () => {
    const model = buildGraph(
      { Plugin: 'evil', Title: EVIL_TITLE, Vlabel: '"v" & <u>', Infos: { x: { id: 'x', label: EVIL_LABEL, colour: '"/><script>' } } },
      { TS_start: 1_700_000_000, TS_step: 60, DATAS: { x: [1, 2, 3] } },
    );
    const svg = renderSvg(model, { width: 800, height: 300, theme: 'light' });
    assert.ok(svg.includes('&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt; &amp;'), 'title escaped in the SVG');
    assert.ok(svg.includes('&lt;img src=x onerror=alert(1)&gt; &amp; &quot;lbl&quot;'), 'label escaped in the SVG');
    assert.ok(!svg.includes('<script') && !svg.includes('<img') && !svg.includes('<u>'));
  });

  it('events are drawn as annotations with escaped text; a right axis appears when asked', () => {
    const model = buildGraph(
      { Plugin: 'p', Title: 't', Infos: { a: { id: 'a', label: 'a' }, b: { id: 'b', label: 'b' } } },
      { TS_start: 1_700_000_000, TS_step: 60, DATAS: { a: [1, 2, 3], b: [100, 200, 300] } },
      { rightAxis: new Set(['b']) },
    );
    const svg = renderSvg(model, { width: 600, height: 300, theme: 'dark', events: [{ time: 1_700_000_060, text: '<deploy> & "v2"' }] });
    assert.ok(svg.includes('&lt;deploy&gt; &amp; &quot;v2&quot;'));
    assert.ok(svg.includes('>3<') && svg.includes('>300<'), 'a on the left axis (up to 3), b on the right one (up to 300)');
  });

  it('PNG of the hostile plugin renders; missing or foreign hosts are 404; anonymous is 401', async () => {
    const ok = await request(w.app).get(`/export/hosts/${w.web1.id}/plugins/evil.png`).set('Authorization', `Bearer ${token}`);
    assert.equal(ok.status, 200);
    assert.equal((await request(w.app).get(`/export/hosts/${w.web1.id}/plugins/evil.png`)).status, 401);
    const alice = await loginAgent(w.app, 'alice', 'alice-password');
    assert.equal((await alice.agent.get(`/export/hosts/${w.db1.id}/plugins/load.png`)).status, 404, 'host of another group');
    assert.equal((await alice.agent.get(`/export/hosts/${w.web1.id}/plugins/load.csv`)).status, 200);
    assert.equal((await alice.agent.get(`/export/hosts/${w.web1.id}/plugins/load.gif`)).status, 404);
    const bad = await alice.agent.get(`/export/hosts/${w.web1.id}/plugins/load.png?width=99999`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.field, 'width');
  });

  it('CSV and JSON: one row per timestamp, values after cdef, labels quoted', async () => {
    const csv = await request(w.app)
      .get(`/export/hosts/${w.web1.id}/plugins/if_eth0.csv?res=Daily`)
      .set('Authorization', `Bearer ${token}`);
    assert.equal(csv.status, 200);
    assert.match(csv.headers['content-type'], /^text\/csv/);
    const lines = csv.text.trim().split('\r\n');
    assert.equal(lines[0], 'timestamp,time,received,bps');
    assert.ok(lines.length > 1400, `${lines.length} lines`);
    const json = await request(w.app)
      .get(`/export/hosts/${w.web1.id}/plugins/if_eth0.json?res=Daily`)
      .set('Authorization', `Bearer ${token}`);
    assert.equal(json.status, 200);
    assert.deepEqual(Object.keys(json.body).sort(), [
      'base',
      'errors',
      'series',
      'start',
      'step',
      'thresholds',
      'timestamps',
      'title',
      'vlabel',
    ]);
    assert.equal(json.body.step, 60);
    assert.equal(json.body.vlabel, 'bits in (-) / out (+) per second');
    const [down, up] = json.body.series;
    assert.equal(down.draw, 'line-negative');
    assert.equal(up.field, 'up');
    const row = lines[lines.length - 2].split(',');
    const i = json.body.timestamps.indexOf(Number(row[0]));
    assert.ok(i >= 0);
    assert.equal(Number(row[3]), up.values[i]);
    assert.equal(up.values.length, json.body.timestamps.length);
    const evil = await request(w.app).get(`/export/hosts/${w.web1.id}/plugins/evil.csv`).set('Authorization', `Bearer ${token}`);
    assert.equal(evil.text.split('\r\n')[0], `timestamp,time,"${EVIL_LABEL.replaceAll('"', '""')}"`);
  });

  it('view export: PNG and JSON of a view built from a skeleton', async () => {
    const root = await loginAgent(w.app, 'root', 'root-password');
    const sk = await root.agent
      .post('/rest/skeletons')
      .set('X-CSRF-Token', root.csrf)
      .send({ name: 'loads', plugin_pattern: '^load$', source_pattern: '.' });
    assert.equal(sk.status, 201, JSON.stringify(sk.body));
    const view = await root.agent
      .post(`/rest/skeletons/${sk.body.id}/create_view`)
      .set('X-CSRF-Token', root.csrf)
      .send({ hosts: [w.web1.id, w.db1.id], name: 'all loads' });
    assert.equal(view.status, 201, JSON.stringify(view.body));
    const json = await root.agent.get(`/export/views/${view.body.id}.json`);
    assert.equal(json.status, 200);
    assert.equal(json.body.series.length, 2);
    const png = await root.agent.get(`/export/views/${view.body.id}.png?width=500&height=250`);
    assert.equal(png.status, 200);
    assert.deepEqual(pngSize(png.body as Buffer), { width: 500, height: 250 });
    const alice = await loginAgent(w.app, 'alice', 'alice-password');
    assert.equal((await alice.agent.get(`/export/views/${view.body.id}.png`)).status, 404, 'not shared with alice');
  });
});
