import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { truncateSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { DataResponse, ErrorResponse } from '../../../common/schemas/index.js';
import { ManualClock } from '../../../common/testing/manual-clock.js';
import { type Fixture, NOW, series, startFixture } from './api-fixtures.js';

const HOST = 'db1';
const Q = `/data?host=${HOST}&plugin=cpu`;

describe('storage API: /data', () => {
  let fx: Fixture;
  let userFile: string;
  const clock = new ManualClock(NOW * 1000);
  before(async () => {
    fx = await startFixture({ clock });
    await fx.addHost(HOST);
    await fx.addPlugin(HOST, 'cpu', { user: 'user', system: 'system', coarse: 'coarse', gappy: 'gappy', bad: 'bad' });
    // A year of hourly points, a month of 10-minute, a week of 5-minute and a day of 1-minute points.
    const f = (t: number) => (t / 60) % 97;
    const points = [
      ...series(3600, 365 * 86_400, f),
      ...series(600, 31 * 86_400, f),
      ...series(300, 7 * 86_400, f),
      ...series(60, 86_400, f),
    ];
    userFile = fx.writeSeries(HOST, 'cpu', 'user', points);
    fx.writeSeries(
      HOST,
      'cpu',
      'system',
      points.map(([t, v]) => [t, v * 2]),
    );
    // Same data, a different retention: 5-minute points first.
    fx.writeSeries(HOST, 'cpu', 'coarse', series(300, 86_400, f), [
      { secondsPerPoint: 300, points: 2016 },
      { secondsPerPoint: 3600, points: 8784 },
    ]);
    // Every other minute missing.
    fx.writeSeries(
      HOST,
      'cpu',
      'gappy',
      series(120, 86_400, () => 10),
    );
    const bad = fx.writeSeries(HOST, 'cpu', 'bad', []);
    truncateSync(bad, 20);
  });
  after(() => fx.close());

  async function data(query: string): Promise<DataResponse> {
    const res = await fx.get(`${Q}&${query}`);
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    return DataResponse.parse(body);
  }

  it('serves each resolution from the archive that covers it, whatever the second', async () => {
    const expected = { Hourly: [60, 60], Daily: [60, 1440], Weekly: [300, 2016], Monthly: [600, 4464], Yearly: [3600, 8784] };
    for (const [res, [step, count]] of Object.entries(expected)) {
      // The original flipped Daily to the 5-minute archive when a second ticked mid-request.
      await clock.advance(1000);
      const later = await data(`ds=user&res=${res}`);
      await clock.setTo(NOW * 1000);
      assert.equal(later.TS_step, step, `${res} one second later`);
      const d = await data(`ds=user,system&res=${res}`);
      assert.equal(d.TS_step, step, res);
      assert.equal(d.DATAS.user.length, count, res);
      assert.equal(d.DATAS.system.length, count, res);
      assert.equal(d.TS_start, NOW - (NOW % step) - (count - 1) * step, res);
      assert.ok(d.DATAS.user.filter((v) => v !== null).length > count * 0.9, `${res} has data`);
      assert.deepEqual(
        d.DATAS.system,
        d.DATAS.user.map((v) => (v === null ? null : v * 2)),
      );
    }
  });

  it('keeps one TS_start/TS_step when the files have different archives', async () => {
    const d = await data('ds=user,coarse&res=Daily');
    assert.equal(d.TS_step, 300);
    assert.equal(d.DATAS.user.length, d.DATAS.coarse.length);
    const fine = await data('ds=user&res=Daily');
    // Each 5-minute bucket of `user` is the average of its five 1-minute slots.
    const i = 100;
    const t = d.TS_start + i * 300;
    const j = (t - fine.TS_start) / 60;
    const slots = fine.DATAS.user.slice(j, j + 5).filter((v): v is number => v !== null);
    assert.ok(Math.abs((d.DATAS.user[i] as number) - slots.reduce((a, b) => a + b, 0) / slots.length) < 1e-9);
    assert.equal(d.DATAS.coarse[i], (t / 60) % 97);
  });

  it('matches python-whisper for an explicit from/until window', async () => {
    for (const [from, until] of [
      ['-2h', '-30min'],
      [String(NOW - 3 * 86_400), 'now-1d'],
      ['-200d', 'now'],
    ]) {
      const d = await data(`ds=user&from=${from}&until=${until}`);
      const py = execFileSync('/usr/bin/python3', [
        '-c',
        'import json,sys,whisper\n(t,v)=whisper.fetch(sys.argv[1],int(sys.argv[2]),int(sys.argv[3]),now=int(sys.argv[4]))\nprint(json.dumps([t[0],t[2],v]))',
        userFile,
        String(parse(from)),
        String(parse(until)),
        String(NOW),
      ]).toString();
      const [start, step, values] = JSON.parse(py);
      assert.equal(d.TS_start, start, `${from}..${until}`);
      assert.equal(d.TS_step, step, `${from}..${until}`);
      assert.deepEqual(d.DATAS.user, values, `${from}..${until}`);
    }
    function parse(text: string): number {
      const units: Record<string, number> = { h: 3600, min: 60, d: 86_400 };
      if (/^\d+$/.test(text)) return Number(text);
      if (text === 'now') return NOW;
      const m = /^(?:now)?-(\d+)(h|min|d)$/.exec(text) as RegExpExecArray;
      return NOW - Number(m[1]) * units[m[2]];
    }
  });

  it('rejects bad from/until with a 400 naming the parameter', async () => {
    for (const [query, parameter] of [
      ['from=-1m', 'from'],
      ['from=yesterday-ish', 'from'],
      ['from=-1h&until=%3Cscript%3E', 'until'],
      ['from=-1h&until=-2h', 'from'],
      ['from=99999999999', 'from'],
    ]) {
      const res = await fx.get(`${Q}&ds=user&${query}`);
      assert.equal(res.status, 400, query);
      const text = await res.text();
      assert.ok(!text.includes('<script>'), 'input is escaped');
      const body = ErrorResponse.parse(JSON.parse(text));
      assert.equal(body.parameter, parameter, query);
    }
  });

  it('consolidates to maxDataPoints by averaging aligned buckets, ignoring nulls', async () => {
    const d = await data('ds=user,gappy&res=Daily&maxDataPoints=100');
    assert.equal(d.TS_step, 900);
    assert.equal(d.TS_start % 900, 0);
    assert.ok(d.DATAS.user.length <= 100 && d.DATAS.user.length >= 96);
    assert.equal(d.DATAS.gappy.length, d.DATAS.user.length);
    assert.ok(
      d.DATAS.gappy.slice(1).every((v) => v === 10),
      'nulls are ignored, not counted as zeros',
    );
    const fine = await data('ds=user&res=Daily');
    const t = d.TS_start + 10 * 900;
    const j = (t - fine.TS_start) / 60;
    const slots = fine.DATAS.user.slice(j, j + 15) as number[];
    assert.ok(Math.abs((d.DATAS.user[10] as number) - slots.reduce((a, b) => a + b, 0) / 15) < 1e-9);
    const same = await data('ds=user&res=Daily&maxDataPoints=5000');
    assert.equal(same.TS_step, 60);
    const res = await fx.get(`${Q}&ds=user&res=Daily&maxDataPoints=0`);
    assert.equal(res.status, 400);
    assert.equal((await res.json()).parameter, 'maxDataPoints');
  });

  it('a corrupt file is a 500 naming the series; next to good series it is reported, not hidden', async () => {
    const only = await fx.get(`${Q}&ds=bad&res=Daily`);
    assert.equal(only.status, 500);
    const body = ErrorResponse.parse(await only.json());
    assert.match(body.error, /db1\/cpu\/bad/);
    assert.match(body.error, /corrupt/);
    assert.ok(!body.error.includes(fx.root), 'the path on disk is not revealed');
    const mixed = await data('ds=user,bad&res=Hourly');
    assert.equal(mixed.DATAS.user.length, 60);
    assert.equal(mixed.DATAS.bad, undefined);
    assert.match(mixed.ERRORS?.bad ?? '', /corrupt/);
    // The server is still fine afterwards.
    assert.equal((await data('ds=user&res=Hourly')).DATAS.user.length, 60);
  });
});

describe('storage API: max_points', () => {
  it('refuses a response larger than max_points with a 400 naming the limit', async () => {
    const fx = await startFixture({ settings: { maxPoints: 1000 } });
    try {
      await fx.addHost(HOST);
      await fx.addPlugin(HOST, 'cpu', { user: 'user' });
      fx.writeSeries(
        HOST,
        'cpu',
        'user',
        series(60, 3600, () => 1),
      );
      const res = await fx.get(`${Q}&ds=user&res=Daily`);
      assert.equal(res.status, 400);
      const body = ErrorResponse.parse(await res.json());
      assert.match(body.error, /max_points \(1000\)/);
      assert.equal(body.parameter, 'maxDataPoints');
      assert.equal((await fx.get(`${Q}&ds=user&res=Daily&maxDataPoints=500`)).status, 200);
    } finally {
      await fx.close();
    }
  });
});
