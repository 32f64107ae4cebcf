import { execFileSync } from 'node:child_process';

/**
 * Reads .wsp files with python3-whisper, the reference implementation (Debian's, hence
 * /usr/bin/python3 and not a pyenv python3), to cross-check what numeter wrote.
 */
const PYTHON = '/usr/bin/python3';
const MAX_OUTPUT = 64 * 1024 * 1024;

/** The finest archive's points between `from` and `until` as [timestamp, value] pairs (null slots left out). */
export function pythonFetch(file: string, from: number, until: number): Array<[number, number]> {
  const script = [
    'import json, sys, whisper',
    '(start, end, step), values = whisper.fetch(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))',
    'print(json.dumps([[start + i * step, v] for i, v in enumerate(values) if v is not None]))',
  ].join('\n');
  return JSON.parse(execFileSync(PYTHON, ['-c', script, file, String(from), String(until)], { encoding: 'utf8' }));
}

/** pythonFetch for many files in one interpreter: file → [timestamp, value] pairs. */
export function pythonFetchMany(files: string[], from: number, until: number): Record<string, Array<[number, number]>> {
  const script = [
    'import json, sys, whisper',
    'spec = json.load(sys.stdin)',
    'out = {}',
    'for f in spec["files"]:',
    '    (start, end, step), values = whisper.fetch(f, spec["from"], spec["until"])',
    '    out[f] = [[start + i * step, v] for i, v in enumerate(values) if v is not None]',
    'print(json.dumps(out))',
  ].join('\n');
  const input = JSON.stringify({ files, from, until });
  return JSON.parse(execFileSync(PYTHON, ['-c', script], { input, encoding: 'utf8', maxBuffer: MAX_OUTPUT }));
}

/** whisper.info() of the reference, for archive checks. */
export function pythonInfo(file: string): {
  aggregationMethod: string;
  xFilesFactor: number;
  archives: Array<{ secondsPerPoint: number; points: number }>;
} {
  const script = ['import json, sys, whisper', 'print(json.dumps(whisper.info(sys.argv[1])))'].join('\n');
  return JSON.parse(execFileSync(PYTHON, ['-c', script, file], { encoding: 'utf8' }));
}

/** whisper.info() of every file with the reference: "<file>: <error>" for each file it refuses. */
export function pythonDamagedFiles(files: string[]): string[] {
  const script = [
    'import json, sys, whisper',
    'bad = []',
    'for f in json.load(sys.stdin):',
    '    try:',
    '        whisper.info(f)',
    '    except Exception as e:',
    '        bad.append(f + ": " + str(e))',
    'print(json.dumps(bad))',
  ].join('\n');
  return JSON.parse(execFileSync(PYTHON, ['-c', script], { input: JSON.stringify(files), encoding: 'utf8', maxBuffer: MAX_OUTPUT }));
}
