/**
 * The numeter-whisper command tree (entry point: cli.ts), mirroring the reference's
 * whisper-create / -update / -fetch / -info / -dump / -set-aggregation-method / -merge /
 * -diff. Every subcommand takes --now EPOCH so runs can be made deterministic. Errors go
 * to stderr as "[ERROR] <what is wrong>" with exit status 1, like the reference tools.
 */
import * as fs from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { createFile, currentTime, dump, fetch, info, setAggregationMethod, setXFilesFactor, update, updateMany } from './api.js';
import { diffJson, diffSummaryText, diffText, fetchJson, fetchText, infoField, infoText, jsonValue, pyG35 } from './cli-format.js';
import { WhisperError } from './errors.js';
import { aggregationMethods } from './header.js';
import { diff, merge } from './merge-diff.js';
import { pyFloatRepr, pyFormatG } from './pyfmt.js';
import { parseRetentionDefs } from './retention.js';
import type { AggregationMethod } from './types.js';

function epoch(name: string) {
  return (v: string): number => {
    if (!/^-?\d+$/.test(v.trim())) throw new InvalidArgumentError(`${name} must be an integer epoch in seconds, got '${v}'`);
    return Number(v);
  };
}

/** Python float() spellings: "1.5", "1e3", "nan", "inf", "-Infinity". */
export function parseValue(s: string): number {
  const t = s.trim();
  if (/^[+-]?nan$/i.test(t)) return Number.NaN;
  if (/^[+-]?inf(inity)?$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return Number(t);
  throw new WhisperError(`value '${s}' is not a number`);
}

/** "TS:VALUE", TS an integer or N (now). */
export function parsePoint(s: string, now: number): [number, number] {
  const parts = s.split(':');
  if (parts.length !== 2) throw new WhisperError(`Invalid point '${s}': expected TIMESTAMP:VALUE (TIMESTAMP may be N for now)`);
  const [t, v] = parts;
  let ts: number;
  if (t === 'N') ts = now;
  else if (/^-?\d+$/.test(t.trim())) ts = Number(t);
  else throw new WhisperError(`Invalid point '${s}': timestamp '${t}' is not an integer (or N for now)`);
  try {
    return [ts, parseValue(v)];
  } catch (e) {
    throw new WhisperError(`Invalid point '${s}': ${(e as Error).message}`);
  }
}

const nowOption = () =>
  new Option('--now <epoch>', 'current time, in seconds since the epoch (default: the clock)').argParser(epoch('--now'));
const nowOf = (o: { now?: number }) => o.now ?? currentTime();

/** Where the program writes, and how it reports its exit status. */
export interface CliIO {
  out(s: string): void;
  err(s: string): void;
  fail(code: number): void;
}

export const processIO: CliIO = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  fail: (code) => {
    process.exitCode = code;
  },
};

/**
 * The whole command tree. Library errors become "[ERROR] ..." on io.err and io.fail(1);
 * commander's own usage errors also exit with status 1.
 */
export function buildProgram(io: CliIO = processIO): Command {
  const print = (s: string) => io.out(`${s}\n`);
  const run =
    <A extends unknown[]>(fn: (...args: A) => void) =>
    (...args: A): void => {
      try {
        fn(...args);
      } catch (e) {
        io.err(`[ERROR] ${e instanceof Error ? e.message : String(e)}\n`);
        io.fail(1);
      }
    };
  const program = new Command('numeter-whisper')
    .description('Create, update, read and compare Graphite Whisper (.wsp) files (compatible with whisper-* tools)')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError();

  program
    .command('create')
    .description('create FILE with archives like 60s:1d 5m:30d 1h:1y (or one comma-separated list)')
    .argument('<file>')
    .argument('<retention...>', 'PRECISION:RETENTION, e.g. 60s:1d or 60:1440')
    .option('--xff <f>', 'xFilesFactor, between 0 and 1', '0.5')
    .addOption(new Option('--xFilesFactor <f>').hideHelp())
    .addOption(new Option('--aggregation <method>', 'aggregation method').choices(aggregationMethods).default('average'))
    .addOption(new Option('--aggregationMethod <method>').hideHelp())
    .option('--sparse', 'create a sparse file')
    .option('--overwrite', 'replace FILE if it exists')
    .addOption(nowOption())
    .action(
      run((file: string, retentions: string[], o: Record<string, string | boolean | undefined>) => {
        const archives = retentions.flatMap((r) => parseRetentionDefs(r));
        if (o.overwrite && fs.existsSync(file)) {
          print(`Overwriting existing file: ${file}`);
          fs.unlinkSync(file);
        }
        createFile(file, archives, {
          // The raw text: the library parses numeric strings and quotes bad ones in its error.
          xFilesFactor: (o.xFilesFactor ?? o.xff) as unknown as number,
          aggregationMethod: (o.aggregationMethod ?? o.aggregation) as AggregationMethod,
          sparse: Boolean(o.sparse),
        });
        print(`Created: ${file} (${fs.statSync(file).size} bytes)`);
      }),
    );

  program
    .command('update')
    .description('write points; one point uses update() (errors when out of range), several use update_many()')
    .argument('<file>')
    .argument('<points...>', 'TIMESTAMP:VALUE, TIMESTAMP may be N for now')
    .addOption(nowOption())
    .action(
      run((file: string, pts: string[], o: { now?: number }) => {
        const now = nowOf(o);
        const points = pts.map((p) => parsePoint(p, now));
        if (points.length === 1) update(file, points[0][1], points[0][0], { now });
        else updateMany(file, points, { now });
      }),
    );

  program
    .command('fetch')
    .description('print the values of a time range (default: the last 24 hours)')
    .argument('<file>')
    .option('--from <epoch>', 'start of the range (default: now - 86400)', epoch('--from'))
    .option('--until <epoch>', 'end of the range (default: now)', epoch('--until'))
    .option('--archive <precision>', 'read the archive with this precision (e.g. 60, 5m)')
    .option('--json', 'strict JSON {"start","end","step","values"}; NaN and Infinity become null')
    .addOption(nowOption())
    .action(
      run((file: string, o: { from?: number; until?: number; json?: boolean; now?: number; archive?: string }) => {
        const now = nowOf(o);
        const archive = o.archive === undefined ? undefined : /^\d+$/.test(o.archive) ? Number(o.archive) : o.archive;
        const r = fetch(file, o.from ?? now - 86400, o.until ?? now, { now, archiveToSelect: archive });
        if (!r) throw new WhisperError('No data in selected timerange');
        print(o.json ? fetchJson(r) : fetchText(r));
      }),
    );

  program
    .command('info')
    .description('print the header (and file size); with FIELD, only that field')
    .argument('<file>')
    .argument('[field]', 'aggregationMethod, maxRetention, xFilesFactor, fileSize or archives')
    .option('--json', 'JSON output')
    .addOption(nowOption())
    .action(
      run((file: string, field: string | undefined, o: { json?: boolean }) => {
        const i = info(file);
        if (field !== undefined) {
          if (!(field in i)) throw new WhisperError(`Unknown field "${field}". Valid fields are ${Object.keys(i).join(',')}`);
          print(infoField(i, field));
        } else print(o.json ? JSON.stringify(i, null, 2) : infoText(i));
      }),
    );

  program
    .command('dump')
    .description('print the header and every slot of every archive')
    .argument('<file>')
    .option('--json', 'JSON output (non-finite values become null)')
    .addOption(nowOption())
    .action(
      run((file: string, o: { json?: boolean }) => {
        const d = dump(file);
        if (o.json) {
          const { data, ...header } = d;
          const archives = header.archives.map((a, n) => ({ ...a, data: data[n].map(([t, v]) => [t, jsonValue(v)]) }));
          print(JSON.stringify({ ...header, archives }));
          return;
        }
        const out = ['Meta data:', `  aggregation method: ${d.aggregationMethod}`, `  max retention: ${d.maxRetention}`];
        out.push(`  xFilesFactor: ${pyFormatG(d.xFilesFactor, 6)}`, '');
        d.archives.forEach((a, n) => {
          out.push(`Archive ${n} info:`, `  offset: ${a.offset}`, `  seconds per point: ${a.secondsPerPoint}`);
          out.push(`  points: ${a.points}`, `  retention: ${a.retention}`, `  size: ${a.size}`, '');
        });
        d.archives.forEach((_, n) => {
          out.push(`Archive ${n} data:`);
          d.data[n].forEach(([t, v], i) => {
            out.push(`${i}: ${t}, ${pyG35(v)}`);
          });
          out.push('');
        });
        print(out.join('\n'));
      }),
    );

  program
    .command('set-aggregation-method')
    .description('change the aggregation method (and xFilesFactor when given)')
    .argument('<file>')
    .argument('<method>', aggregationMethods.join('|'))
    .argument('[xff]', 'new xFilesFactor')
    .addOption(nowOption())
    .action(
      run((file: string, method: string, xff: string | undefined) => {
        const old = setAggregationMethod(file, method as AggregationMethod, xff as unknown as number | undefined);
        print(`Updated aggregation method: ${file} (${old} -> ${method})`);
      }),
    );

  program
    .command('set-xff')
    .description('change the xFilesFactor')
    .argument('<file>')
    .argument('<xff>')
    .addOption(nowOption())
    .action(
      run((file: string, xff: string) => {
        const old = setXFilesFactor(file, xff as unknown as number);
        print(`Updated xFilesFactor: ${file} (${pyFloatRepr(old)} -> ${xff})`);
      }),
    );

  program
    .command('merge')
    .description('copy the values of FROM into TO (same archive layout), overwriting')
    .argument('<from>')
    .argument('<to>')
    .option('--from <epoch>', 'start of the interval (default: epoch)', epoch('--from'))
    .option('--until <epoch>', 'end of the interval (default: now)', epoch('--until'))
    .addOption(nowOption())
    .action(
      run((from: string, to: string, o: { from?: number; until?: number; now?: number }) => {
        merge(from, to, { timeFrom: o.from, timeTo: o.until, now: nowOf(o) });
      }),
    );

  program
    .command('diff')
    .description('compare two files with the same archive layout')
    .argument('<a>')
    .argument('<b>')
    .option('--summary', 'only counts per archive')
    .option('--ignore-empty', 'skip slots where either value is missing')
    .option('--columns', 'plain columns')
    .option('--no-headers', 'no column headers')
    .option('--until <epoch>', 'end of the compared interval (default: now)', epoch('--until'))
    .option('--json', 'JSON output')
    .addOption(nowOption())
    .action(
      run((a: string, b: string, o: Record<string, boolean | number | undefined>) => {
        const diffs = diff(a, b, {
          ignoreEmpty: Boolean(o.ignoreEmpty),
          untilTime: o.until as number | undefined,
          now: nowOf(o as { now?: number }),
        });
        const columns = Boolean(o.columns);
        const headers = o.headers !== false;
        if (o.json) print(diffJson(diffs, a, b, Boolean(o.summary)));
        else print(o.summary ? diffSummaryText(diffs, columns, headers) : diffText(diffs, columns, headers));
      }),
    );
  return program;
}

/** Runs the CLI in-process (for tests): returns the exit status and what was printed. */
export function runCli(args: string[]): { code: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  let code = 0;
  const program = buildProgram({
    out: (s) => {
      stdout += s;
    },
    err: (s) => {
      stderr += s;
    },
    fail: (c) => {
      code = c;
    },
  });
  program.exitOverride();
  for (const c of program.commands) c.exitOverride();
  try {
    program.parse(args, { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    code = e.exitCode;
  }
  return { code, stdout, stderr };
}
