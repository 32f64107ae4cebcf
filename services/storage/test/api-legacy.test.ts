import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  DataResponse,
  ErrorResponse,
  HostsResponse,
  ListResponse,
  ListsResponse,
  MAX_HOSTS_PER_LISTS,
} from '../../../common/schemas/index.js';
import { type Fixture, NOW, series, startFixture } from './api-fixtures.js';

describe('storage API: original endpoints', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture();
    await fx.addHost('web01.example.com', { Name: 'web01', Description: 'front' });
    await fx.addPlugin('web01.example.com', 'load', { load: 'load average' });
    await fx.addPlugin('web01.example.com', 'if_eth0', { down: 'received', up: 'sent' });
    await fx.addHost('empty-host');
    fx.writeSeries(
      'web01.example.com',
      'load',
      'load',
      series(60, 3600, (t) => (t % 600) / 100),
    );
  });
  after(() => fx.close());

  async function json(path: string, status = 200): Promise<unknown> {
    const res = await fx.get(path);
    assert.equal(res.status, status, `${path}: ${res.status}`);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json; charset=utf-8$/);
    return res.json();
  }

  async function error(path: string, status: number, parameter?: string): Promise<ErrorResponse> {
    const body = ErrorResponse.parse(await json(path, status));
    assert.equal(body.parameter, parameter, `${path}: ${body.error}`);
    return body;
  }

  it('/hosts lists every host with its MyInfo', async () => {
    const hosts = HostsResponse.parse(await json('/hosts'));
    assert.deepEqual(Object.keys(hosts), ['empty-host', 'web01.example.com']);
    assert.equal(hosts['web01.example.com'].Name, 'web01');
    assert.equal(hosts['web01.example.com'].Description, 'front');
  });

  it('/hinfo returns one host, 404 for an unknown host, 400 without host', async () => {
    const info = (await json('/hinfo?host=web01.example.com')) as Record<string, unknown>;
    assert.equal(info.ID, 'web01.example.com');
    await error('/hinfo?host=nope', 404, 'host');
    await error('/hinfo', 400, 'host');
  });

  it('/list returns the plugins, {} for a host without plugins, 404 for an unknown host', async () => {
    const list = ListResponse.parse(await json('/list?host=web01.example.com'));
    assert.deepEqual(Object.keys(list).sort(), ['if_eth0', 'load']);
    assert.equal(list.load.Infos.load.label, 'load average');
    assert.deepEqual(await json('/list?host=empty-host'), {});
    await error('/list?host=ghost', 404, 'host');
  });

  it('/lists returns the /list of many hosts, leaving unknown ones out; 400 over 200 names', async () => {
    const lists = ListsResponse.parse(await json('/lists?hosts=web01.example.com,nosuchhost,empty-host'));
    assert.deepEqual(Object.keys(lists).sort(), ['empty-host', 'web01.example.com']);
    assert.deepEqual(lists['web01.example.com'], ListResponse.parse(await json('/list?host=web01.example.com')));
    assert.deepEqual(lists['empty-host'], {});
    const many = Array.from({ length: MAX_HOSTS_PER_LISTS + 1 }, (_, i) => `h${i}`).join(',');
    await error(`/lists?hosts=${many}`, 400, 'hosts');
    await error('/lists', 400, 'hosts');
  });

  it('/info returns one plugin; 404 names the plugin or the host', async () => {
    const info = (await json('/info?host=web01.example.com&plugin=load')) as Record<string, unknown>;
    assert.equal(info.Title, 'load title');
    await error('/info?host=web01.example.com&plugin=cpu', 404, 'plugin');
    await error('/info?host=ghost&plugin=load', 404, 'host');
    await error('/info?host=web01.example.com', 400, 'plugin');
  });

  it('/data returns the original shape; 400/404 name the bad parameter', async () => {
    const data = DataResponse.parse(await json('/data?host=web01.example.com&plugin=load&ds=load&res=Daily'));
    assert.equal(data.TS_step, 60);
    assert.equal(data.DATAS.load.length, 1440);
    assert.equal(data.TS_start, NOW - 86_400 - ((NOW - 86_400) % 60) + 60);
    assert.equal(data.DATAS.load.at(-1), ((NOW - (NOW % 60)) % 600) / 100);
    await error('/data?host=web01.example.com&plugin=load&ds=load&res=Hourlyish', 400, 'res');
    await error('/data?host=web01.example.com&plugin=load&ds=load', 400, 'res');
    await error('/data?host=web01.example.com&plugin=load&res=Daily', 400, 'ds');
    await error('/data?host=web01.example.com&plugin=load&ds=nope&res=Daily', 404, 'ds');
    await error('/data?host=web01.example.com&plugin=nope&ds=load&res=Daily', 404, 'plugin');
    await error('/data?host=ghost&plugin=load&ds=load&res=Daily', 404, 'host');
    await error('/data?host=web01.example.com&host=x&plugin=load&ds=load&res=Daily', 400, 'host');
  });

  it('a listed data source without a file yet is all nulls next to the others', async () => {
    fx.writeSeries(
      'web01.example.com',
      'if_eth0',
      'down',
      series(60, 600, () => 5),
    );
    const data = DataResponse.parse(await json('/data?host=web01.example.com&plugin=if_eth0&ds=down,up&res=Hourly'));
    assert.equal(data.DATAS.up.length, data.DATAS.down.length);
    assert.ok(data.DATAS.up.every((v) => v === null));
    assert.equal(data.DATAS.down.at(-1), 5);
    await error('/data?host=empty-host&plugin=x&ds=a&res=Daily', 404, 'plugin');
  });

  it('refuses traversal attempts with 400/404 and reads nothing outside the tree', async () => {
    const attempts = [
      ['/list?host=../..', 400, 'host'],
      ['/list?host=..', 400, 'host'],
      ['/info?host=web01.example.com&plugin=..%2F..%2Fetc', 400, 'plugin'],
      ['/info?host=web01.example.com&plugin=a%00b', 400, 'plugin'],
      ['/data?host=web01.example.com&plugin=load&ds=..%2F..%2F..%2Fetc%2Fpasswd&res=Daily', 400, 'ds'],
      ['/data?host=web01.example.com&plugin=..&ds=load&res=Daily', 400, 'plugin'],
      ['/data?host=web01.example.com&plugin=load&ds=load%5C..&res=Daily', 400, 'ds'],
      ['/data?host=web01.example.com&plugin=load&ds=passwd&res=Daily', 404, 'ds'],
    ] as const;
    for (const [path, status, parameter] of attempts) await error(path, status, parameter);
    // A hidden-file name the index knows about is still never opened.
    await fx.addPlugin('web01.example.com', '.hidden', { '.ds': 'x' });
    await error('/data?host=web01.example.com&plugin=.hidden&ds=.ds&res=Daily', 400, 'plugin');
    // A WSP_PATH entry pointing outside the data root is refused, not followed.
    await fx.addHost('evil');
    await fx.addPlugin('evil', 'etc', { passwd: 'x' });
    await fx.redis.hset(fx.keys.wspPath, 'evil', '/');
    const body = await error('/data?host=evil&plugin=etc&ds=passwd&res=Daily', 500);
    assert.match(body.error, /outside the data root/);
    assert.ok(!body.error.includes('/etc'));
    assert.ok(existsSync('/etc/passwd'));
    assert.ok(fx.opened.length > 0);
    for (const path of fx.opened) assert.ok(path.startsWith(`${fx.root}/`), `${path} is inside the data root`);
  });

  it('returns hostile names stored in Redis as escaped JSON data', async () => {
    const hostile = '<script>alert("x")</script>&\u2028';
    await fx.addHost('hostile', { Name: hostile, Description: '"}, "pwned": {' });
    await fx.addPlugin('hostile', hostile, { [hostile]: hostile });
    await fx.addPlugin('hostile', '__proto__', { polluted: 'yes' });
    const res = await fx.get('/list?host=hostile');
    const text = await res.text();
    assert.ok(!text.includes('<script>'), 'angle brackets are escaped');
    assert.match(res.headers.get('x-content-type-options') ?? '', /nosniff/);
    const list = JSON.parse(text);
    assert.equal(list[hostile].Infos[hostile].label, hostile);
    assert.ok(Object.hasOwn(list, '__proto__'), '__proto__ stays a plain key');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    const hosts = (await json('/hosts')) as Record<string, { Name: string; Description: string }>;
    assert.equal(hosts.hostile.Name, hostile);
    assert.equal(hosts.hostile.Description, '"}, "pwned": {');
  });

  it('unknown routes are JSON 404s that do not reflect raw input', async () => {
    const res = await fx.get('/nope%3Cscript%3E');
    assert.equal(res.status, 404);
    const text = await res.text();
    assert.ok(!text.includes('<script>'));
    assert.match(JSON.parse(text).error, /no such endpoint/);
  });
});
