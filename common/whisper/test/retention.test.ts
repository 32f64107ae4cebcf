import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidConfigurationError, parseRetentionDef, parseRetentionDefs, unitSeconds, validateArchiveList } from '../index.js';
import { spec } from './helpers.js';

describe('parseRetentionDef', () => {
  const valid: Array<[string, number, number]> = [
    ['60s:1d', 60, 1440],
    ['5m:30d', 300, 8640],
    ['1h:1y', 3600, 8760],
    ['1min:1w', 60, 10080],
    ['10sec:6h', 10, 2160],
    ['7s:1m', 7, 8],
    ['60:1440', 60, 1440],
    ['10:60', 10, 60],
    ['10s:10h', 10, 3600],
    [' 1minutes:2hours ', 60, 120],
    ['1d:2y', 86400, 730],
    ['15m:8', 900, 8],
  ];
  for (const [input, spp, points] of valid) {
    it(`parses ${JSON.stringify(input)}`, () => {
      assert.deepEqual(parseRetentionDef(input), { secondsPerPoint: spp, points });
    });
  }
  const invalid: Array<[string, RegExp]> = [
    ['10', /^Invalid retention definition '10'$/],
    ['', /^Invalid retention definition ''$/],
    ['10X:10', /^Invalid precision specification '10X'$/],
    ['10:10$', /^Invalid retention specification '10\$'$/],
    ['10x:10', /^Invalid unit 'x'$/],
    ['60:10x', /^Invalid unit 'x'$/],
    ['1M:1d', /^Invalid precision specification '1M'$/],
    ['1mo:1d', /^Invalid unit 'mo'$/],
    ['0:10', /at least 1 second per point/],
    ['1d:1h', /gives 0 points/],
    ['60:0', /gives 0 points/],
    ['-60:10', /^Invalid precision specification '-60'$/],
    ['1.5m:10', /^Invalid precision specification '1.5m'$/],
  ];
  for (const [input, message] of invalid) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      assert.throws(
        () => parseRetentionDef(input),
        (e: unknown) => e instanceof InvalidConfigurationError && message.test(e.message),
      );
    });
  }
});

describe('unitSeconds', () => {
  const table: Array<[string, number]> = [
    ['s', 1],
    ['m', 60],
    ['h', 3600],
    ['d', 86400],
    ['w', 604800],
    ['y', 31536000],
    ['sec', 1],
    ['min', 60],
    ['years', 31536000],
  ];
  for (const [u, s] of table) it(`${u} = ${s}s`, () => assert.equal(unitSeconds(u), s));
  it("rejects 'z'", () => assert.throws(() => unitSeconds('z'), /^InvalidConfigurationError: Invalid unit 'z'$/));
});

describe('parseRetentionDefs', () => {
  it('parses a carbon list', () => {
    assert.deepEqual(parseRetentionDefs('60s:1d,5m:30d,1h:1y'), [spec(60, 1440), spec(300, 8640), spec(3600, 8760)]);
  });
  it('allows spaces around items', () => {
    assert.deepEqual(parseRetentionDefs(' 60:10 , 300:12'), [spec(60, 10), spec(300, 12)]);
  });
  it('rejects an empty list', () => assert.throws(() => parseRetentionDefs(''), /Empty retention list/));
  it('rejects an empty item', () => assert.throws(() => parseRetentionDefs('60:10,,300:12'), /Empty retention definition at position 2/));
  it('names the bad item', () => assert.throws(() => parseRetentionDefs('60:10,5q:1d'), /Invalid unit 'q'/));
});

describe('validateArchiveList', () => {
  it("accepts valid lists, unsorted ones included, without sorting the caller's list", () => {
    validateArchiveList([spec(60, 1440), spec(300, 8640)]);
    const list = [spec(60, 60), spec(6, 60)];
    validateArchiveList(list);
    assert.deepEqual(list, [spec(60, 60), spec(6, 60)]);
  });
  const failures: Array<[string, ReturnType<typeof spec>[], string]> = [
    ['empty', [], 'You must specify at least one archive configuration!'],
    [
      'duplicate precision',
      [spec(1, 60), spec(60, 60), spec(1, 60)],
      'A Whisper database may not be configured having two archives with the same precision (archive0: (1, 60), archive1: (1, 60))',
    ],
    [
      'uneven division',
      [spec(60, 60), spec(7, 60)],
      "Higher precision archives' precision must evenly divide all lower precision archives' precision (archive0: 7, archive1: 60)",
    ],
    [
      'smaller coverage',
      [spec(1, 60), spec(10, 1)],
      'Lower precision archives must cover larger time intervals than higher precision archives (archive0: 60 seconds, archive1: 10 seconds)',
    ],
    [
      'too few points to consolidate',
      [spec(1, 30), spec(60, 60)],
      "Each archive must have at least enough points to consolidate to the next archive (archive1 consolidates 60 of archive0's points but it has only 30 total points)",
    ],
    [
      'zero points',
      [spec(60, 0)],
      'Invalid archive 0 ({"secondsPerPoint":60,"points":0}): points must be an integer between 1 and 4294967295',
    ],
    [
      'zero precision',
      [spec(0, 10)],
      'Invalid archive 0 ({"secondsPerPoint":0,"points":10}): secondsPerPoint must be an integer between 1 and 4294967295',
    ],
    [
      'fractional points',
      [spec(60, 1.5)],
      'Invalid archive 0 ({"secondsPerPoint":60,"points":1.5}): points must be an integer between 1 and 4294967295',
    ],
    [
      'retention beyond 32 bits',
      [spec(86400, 100000)],
      "Maximum retention 8640000000 seconds does not fit the format's 32-bit field (max 4294967295)",
    ],
    [
      'file beyond 4 GiB',
      [spec(1, 400000000)],
      'The file would be 4800000028 bytes; archive offsets are 32-bit, so at most 4294967295 bytes are possible',
    ],
  ];
  for (const [name, list, message] of failures) {
    it(`rejects: ${name}`, () => {
      assert.throws(
        () => validateArchiveList(list),
        (e: unknown) => e instanceof InvalidConfigurationError && e.message === message,
      );
    });
  }
});
