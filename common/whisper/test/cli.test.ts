/**
 * The numeter-whisper CLI, checked against the reference whisper-* tools where they do not
 * depend on the clock. Most cases run the command tree in-process (runCli) because each
 * spawn costs about a second of tsx start-up; the "spawned" suite runs the real entry point.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { create, fetch, info, updateMany } from '../index.js';
import { runCli } from '../src/cli-program.js';
import { NOW, REPO, spec, tempDir } from './helpers.js';

const exec = promisify(execFile);
const dir = tempDir('whisper-cli-');
const CLI = path.join(REPO, 'common', 'whisper', 'src', 'cli.ts');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
async function cli(...args: string[]): Promise<Run> {
  return runCli(args);
}
async function spawned(...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: REPO });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}
async function tool(name: string, ...args: string[]): Promise<string> {
  return (await exec(`/usr/bin/${name}`, args)).stdout;
}
const p = (name: string) => path.join(dir, name);
const T = NOW - (NOW % 60);

describe('numeter-whisper CLI', () => {
  it('create makes the same file as whisper-create (comma list or separate arguments)', async () => {
    const [a, b] = await Promise.all([
      cli('create', p('c1.wsp'), '60s:1d,5m:30d', '1h:1y', '--xff', '0.3', '--aggregation', 'max'),
      tool('whisper-create', p('c1-ref.wsp'), '60s:1d', '5m:30d', '1h:1y', '--xFilesFactor=0.3', '--aggregationMethod=max'),
      cli('create', p('c2.wsp'), '60:10', '--sparse', '--now', String(NOW)),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout, `Created: ${p('c1.wsp')} (226132 bytes)\n`);
    assert.equal(b, `Created: ${p('c1-ref.wsp')} (226132 bytes)\n`);
    assert.ok(fs.readFileSync(p('c1.wsp')).equals(fs.readFileSync(p('c1-ref.wsp'))));
    assert.equal(info(p('c2.wsp')).fileSize, 16 + 12 + 120);
  });

  it('update (one point → update(), several → update_many(), N = now) and fetch', async () => {
    const f = p('u.wsp');
    create(f, [spec(60, 60), spec(300, 24)]);
    const now = String(NOW);
    const u1 = await cli('update', f, `${T - 120}:1.5`, '--now', now);
    assert.equal(u1.code, 0, u1.stderr);
    const u2 = await cli('update', f, `${T - 60}:nan`, 'N:-2e3', '--now', now);
    assert.equal(u2.code, 0, u2.stderr);
    const [json, text] = await Promise.all([
      cli('fetch', f, '--from', String(T - 180), '--until', now, '--json', '--now', now),
      cli('fetch', f, '--from', String(T - 180), '--until', now, '--now', now),
    ]);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), { start: T - 120, end: T + 60, step: 60, values: [1.5, null, -2000] });
    assert.equal(text.stdout, `${T - 120}\t1.500000\n${T - 60}\tnan\n${T}\t-2000.000000\n`);
    assert.equal(fetch(f, T - 180, NOW, { now: NOW })?.values[1], Number.NaN, 'NaN is stored, printed as null');
  });

  it('info (text, --json, one field) and dump print what whisper-info / whisper-dump print', async () => {
    const f = p('i.wsp');
    create(f, [spec(60, 5), spec(300, 3)], { xFilesFactor: 0.3, aggregationMethod: 'last' });
    updateMany(
      f,
      [
        [T - 120, 0.1],
        [T - 60, Number.NaN],
        [T, 1e-7],
        [T - 180, 1e300],
        [T - 240, -Infinity],
      ],
      { now: NOW },
    );
    const [infoText, refInfo, infoJson, refJson, field, refField, dumpText, refDump, dumpJson] = await Promise.all([
      cli('info', f),
      tool('whisper-info', f),
      cli('info', f, '--json'),
      tool('whisper-info', '--json', f),
      cli('info', f, 'xFilesFactor'),
      tool('whisper-info', f, 'xFilesFactor'),
      cli('dump', f),
      tool('whisper-dump', f),
      cli('dump', f, '--json'),
    ]);
    assert.equal(infoText.stdout, refInfo);
    assert.deepEqual(JSON.parse(infoJson.stdout), JSON.parse(refJson));
    assert.equal(field.stdout, refField);
    assert.equal(field.stdout, '0.30000001192092896\n');
    // whisper-dump ends each archive with a bare `print` (a no-op in Python 3), so compare line sets without blanks.
    const lines = (s: string) => s.split('\n').filter((l) => l !== '');
    assert.deepEqual(lines(dumpText.stdout), lines(refDump));
    const d = JSON.parse(dumpJson.stdout);
    assert.deepEqual(
      d.archives[0].data.find((x: number[]) => x[0] === T - 60),
      [T - 60, null],
    );
    assert.equal(d.archives[1].data.length, 3);
  });

  it('set-aggregation-method, set-xff, merge and diff', async () => {
    const [a, b] = [p('m-a.wsp'), p('m-b.wsp')];
    create(a, [spec(60, 10), spec(300, 12)]);
    create(b, [spec(60, 10), spec(300, 12)]);
    updateMany(
      a,
      [
        [T - 60, 1],
        [T, 2],
      ],
      { now: NOW },
    );
    updateMany(b, [[T, 3]], { now: NOW });
    const now = String(NOW);
    const s = await cli('set-aggregation-method', b, 'max', '0.2', '--now', now);
    assert.equal(s.stdout, `Updated aggregation method: ${b} (average -> max)\n`);
    assert.equal(info(b).xFilesFactor, Math.fround(0.2));
    const x = await cli('set-xff', b, '0', '--now', now);
    assert.equal(x.stdout, `Updated xFilesFactor: ${b} (0.20000000298023224 -> 0)\n`);
    const [summary, dj] = await Promise.all([cli('diff', a, b, '--summary', '--now', now), cli('diff', a, b, '--json', '--now', now)]);
    // Archive 1 is compared only before archive 0's span (now - 600), where neither file has data.
    assert.equal(summary.stdout, 'archive     total differing\n      0         2         2\n      1         0         0\n');
    const parsed = JSON.parse(dj.stdout);
    assert.deepEqual(parsed.archives[0].datapoint, [
      { timestamp: T - 60, value_a: 1, value_b: null },
      { timestamp: T, value_a: 2, value_b: 3 },
    ]);
    const m = await cli('merge', a, b, '--now', now);
    assert.equal(m.code, 0, m.stderr);
    assert.deepEqual(fetch(b, T - 120, NOW, { now: NOW })?.values, [1, 2]);
    const after = await cli('diff', a, b, '--summary', '--columns', '--no-headers', '--now', now);
    assert.equal(after.stdout, '0 2 0\n1 0 0\n');
  });

  it('errors go to stderr as [ERROR] ... with exit status 1', async () => {
    const f = p('e.wsp');
    create(f, [spec(60, 10)]);
    fs.writeFileSync(p('corrupt.wsp'), Buffer.alloc(5));
    const cases: Array<[string[], RegExp]> = [
      [['create', f, '60:10'], /^\[ERROR\] File .*e\.wsp already exists!\n$/],
      [
        ['create', p('e2.wsp'), '60s:1d', '90s:30d'],
        /^\[ERROR\] Higher precision archives' precision must evenly divide .*\(archive0: 60, archive1: 90\)\n$/,
      ],
      [['create', p('e3.wsp'), '60s:1q'], /^\[ERROR\] Invalid unit 'q'\n$/],
      [['create', p('e4.wsp'), '60:10', '--xff', '2'], /^\[ERROR\] Invalid xFilesFactor 2\.0, not between 0 and 1\n$/],
      [['update', f, `${NOW + 60}:1`, '--now', String(NOW)], /^\[ERROR\] Timestamp not covered by any archives in this database\./],
      [['update', f, `${NOW + 60}:1`, `${NOW}:1`, '--now', String(NOW)], /in the future/],
      [['update', f, 'abc', '--now', String(NOW)], /^\[ERROR\] Invalid point 'abc': expected TIMESTAMP:VALUE/],
      [['update', f, `${NOW}:x`, '--now', String(NOW)], /^\[ERROR\] Invalid point '\d+:x': value 'x' is not a number\n$/],
      [
        ['fetch', f, '--from', String(NOW + 10), '--until', String(NOW + 20), '--now', String(NOW)],
        /^\[ERROR\] No data in selected timerange\n$/,
      ],
      [['fetch', p('missing.wsp')], /^\[ERROR\] Cannot open whisper file .*missing\.wsp: ENOENT/],
      [['info', p('corrupt.wsp')], /^\[ERROR\] Unable to read header \(.*corrupt\.wsp\)\n$/],
      [['info', f, 'nosuchfield'], /^\[ERROR\] Unknown field "nosuchfield"/],
      [['fetch', f, '--now', 'yesterday'], /--now must be an integer epoch in seconds, got 'yesterday'/],
      [['set-aggregation-method', f, 'median'], /^\[ERROR\] Unrecognized aggregation method: median\n$/],
      [['set-xff', f, 'half'], /^\[ERROR\] Invalid xFilesFactor half, not a float\n$/],
      [['create', p('e5.wsp'), '60:10', '--xff', 'abc'], /^\[ERROR\] Invalid xFilesFactor abc, not a float\n$/],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(...args)));
    runs.forEach((r, i) => {
      assert.equal(r.code, 1, `${cases[i][0].join(' ')}: exit ${r.code}`);
      assert.match(r.stderr, cases[i][1], cases[i][0].join(' '));
      assert.equal(r.stdout, '');
    });
  });
});

describe('numeter-whisper CLI, spawned', () => {
  it('runs create, update and fetch --json end to end', async () => {
    const f = p('s.wsp');
    const c = await spawned('create', f, '60s:1d,5m:30d,1h:1y', '--now', String(NOW));
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stdout, `Created: ${f} (226132 bytes)\n`);
    const u = await spawned('update', f, `${T - 60}:1`, `${T}:inf`, '--now', String(NOW));
    assert.equal(u.code, 0, u.stderr);
    const r = await spawned('fetch', f, '--from', String(T - 120), '--json', '--now', String(NOW));
    assert.deepEqual(JSON.parse(r.stdout), { start: T - 60, end: T + 60, step: 60, values: [1, null] });
  });

  it('exits with status 1 and [ERROR] on stderr', async () => {
    const [a, b] = await Promise.all([
      spawned('fetch', p('nothing-here.wsp'), '--now', String(NOW)),
      spawned('create', p('bad.wsp'), '60s:1d,60s:2d'),
    ]);
    assert.equal(a.code, 1);
    assert.match(a.stderr, /^\[ERROR\] Cannot open whisper file .*nothing-here\.wsp: ENOENT/);
    assert.equal(b.code, 1);
    assert.match(b.stderr, /^\[ERROR\] A Whisper database may not be configured having two archives with the same precision/);
    assert.equal(fs.existsSync(p('bad.wsp')), false);
  });

  it('--help lists every subcommand', async () => {
    const r = await spawned('--help');
    assert.equal(r.code, 0);
    for (const c of ['create', 'update', 'fetch', 'info', 'dump', 'set-aggregation-method', 'merge', 'diff'])
      assert.match(r.stdout, new RegExp(`\\n  ${c} `));
    const sub = await cli('fetch', '--help');
    assert.match(sub.stdout, /--now <epoch>/);
  });
});
