/**
 * Debian's graphite-web 1.1.8 as a reference peer for the render tests: started with
 * `graphite-manage runserver` over a tree of symlinks `host/plugin/ds.wsp` to the storage's
 * own files (both read the same bytes), with UTC and graphite-web's defaults. Files are
 * written with python3-whisper (the reference writer), at a pinned "now".
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { freePort } from './free-port.js';

const PYTHON = '/usr/bin/python3';
const MANAGE = '/usr/bin/graphite-manage';

export interface PythonFile {
  path: string;
  archives: Array<[secondsPerPoint: number, points: number]>;
  points: Array<[number, number]>;
}

/** Creates and fills .wsp files with python3-whisper, its clock pinned to `now`. */
export function writeWithPythonWhisper(files: PythonFile[], now: number): void {
  for (const f of files) mkdirSync(dirname(f.path), { recursive: true });
  const script = [
    'import json, sys, time',
    'spec = json.load(sys.stdin)',
    'time.time = lambda: spec["now"]',
    'import whisper',
    'for f in spec["files"]:',
    '    whisper.create(f["path"], [tuple(a) for a in f["archives"]])',
    '    whisper.update_many(f["path"], [tuple(p) for p in f["points"]])',
  ].join('\n');
  execFileSync(PYTHON, ['-c', script], { input: JSON.stringify({ files, now }), maxBuffer: 64 * 1024 * 1024 });
}

export function linkTree(root: string, links: Array<{ path: string; target: string }>): void {
  for (const link of links) {
    const file = join(root, ...link.path.split('.')) + '.wsp';
    mkdirSync(dirname(file), { recursive: true });
    symlinkSync(link.target, file);
  }
}

export interface GraphiteWeb {
  base: string;
  stop(): Promise<void>;
}

export async function startGraphiteWeb(whisperDir: string, workDir: string): Promise<GraphiteWeb> {
  const conf = join(workDir, 'conf');
  mkdirSync(conf, { recursive: true });
  mkdirSync(join(workDir, 'log'), { recursive: true });
  writeFileSync(
    join(conf, 'ref_settings.py'),
    [
      'from graphite.settings import *',
      `STORAGE_DIR = ${JSON.stringify(workDir)}`,
      `WHISPER_DIR = ${JSON.stringify(whisperDir)}`,
      `STANDARD_DIRS = [${JSON.stringify(whisperDir)}]`,
      "STORAGE_FINDERS = ('graphite.finders.standard.StandardFinder',)",
      `LOG_DIR = ${JSON.stringify(join(workDir, 'log'))}`,
      `INDEX_FILE = ${JSON.stringify(join(workDir, 'index'))}`,
      `DATABASES = {'default': {'NAME': ${JSON.stringify(join(workDir, 'graphite.db'))}, 'ENGINE': 'django.db.backends.sqlite3'}}`,
      "SECRET_KEY = 'reference-only'",
      "ALLOWED_HOSTS = ['127.0.0.1', 'localhost']",
      'DEFAULT_XFILES_FACTOR = 0',
      "TIME_ZONE = 'UTC'",
      "CACHES = {'default': {'BACKEND': 'django.core.cache.backends.dummy.DummyCache'}}",
      // A loaded machine makes the 1,000-file fetches of bench/render pass graphite-web's default 6 s (a 500).
      'FETCH_TIMEOUT = 300',
    ].join('\n'),
  );
  const env = { ...process.env, PYTHONPATH: conf, DJANGO_SETTINGS_MODULE: 'ref_settings' };
  execFileSync(PYTHON, [MANAGE, 'migrate', '--run-syncdb'], { env, stdio: 'ignore' });
  const port = await freePort();
  const child: ChildProcess = spawn(PYTHON, [MANAGE, 'runserver', '--noreload', `127.0.0.1:${port}`], { env, stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/version`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 150 || child.exitCode !== null) {
      child.kill();
      throw new Error('graphite-web did not start');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    base,
    async stop() {
      if (child.exitCode === null) child.kill();
      await exited;
    },
  };
}

/** graphite-web writes NaN inside arrays when a value is not a number; read it as null. */
export function parseGraphiteJson(text: string): unknown {
  return JSON.parse(text.replace(/\bNaN\b/g, 'null'));
}
