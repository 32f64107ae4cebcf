/**
 * import-munin throughput: RRD files imported per second. K files in Munin's naming and
 * RRA layout, each with 460 days of 5-minute history (one file made with rrdtool
 * create/update, copied), described by a datafile of H hosts, imported into a fresh
 * storage tree and index (own Redis prefix). Reference, same run: reading the same files
 * through rrdtool alone (info + one fetch per AVERAGE RRA, nothing written), the floor
 * the importer stands on.
 * Env: IMPORT_BENCH_FILES (200).
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { systemClock } from '../../common/lifecycle/index.js';
import { silentLogger } from '../../common/logging/index.js';
import { createMuninRrd } from '../../common/testing/munin-master.js';
import { uniqueName } from '../../common/testing/names.js';
import { deleteRedisPrefix } from '../../common/testing/redis-prefix.js';
import { HostDirectories } from '../../services/storage/src/files/host-directories.js';
import { importMunin, readRrd } from '../../services/storage/src/import/munin-import.js';
import { RrdTool } from '../../services/storage/src/import/rrdtool.js';
import { IndexWriter } from '../../services/storage/src/index/index-writer.js';
import { redisKeys } from '../../services/storage/src/index/keys.js';

const FILES = Number(process.env.IMPORT_BENCH_FILES ?? 200);
const FIELDS_PER_HOST = 10;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'numeter-bench-import-'));
  const prefix = uniqueName('benchimport');
  const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
  const rrdtool = new RrdTool();
  try {
    await redis.connect();
    const dbdir = join(dir, 'db');
    await mkdir(join(dbdir, 'bench'), { recursive: true });
    const now = Math.floor(Date.now() / 1000);
    const end = now - (now % 300);
    const template = join(dir, 'template.rrd');
    await createMuninRrd(template, { start: end - 460 * 86400, end, type: 'GAUGE', value: (t) => 50 + 40 * Math.sin(t / 20000) });
    const datafile = ['version 2.0.73'];
    const files: string[] = [];
    for (let i = 0; i < FILES; i++) {
      const host = `host-${Math.floor(i / FIELDS_PER_HOST)}.bench`;
      const field = `f${i % FIELDS_PER_HOST}`;
      if (i % FIELDS_PER_HOST === 0) datafile.push(`bench;${host}:load.graph_title Load`, `bench;${host}:load.graph_category system`);
      datafile.push(`bench;${host}:load.${field}.label ${field}`);
      const file = join(dbdir, 'bench', `${host}-load-${field}-g.rrd`);
      await copyFile(template, file);
      files.push(file);
    }
    await writeFile(join(dbdir, 'datafile'), `${datafile.join('\n')}\n`);

    let started = performance.now();
    for (const file of files) await readRrd(file, rrdtool);
    const readSeconds = (performance.now() - started) / 1000;

    const index = new IndexWriter(redis, redisKeys(prefix));
    started = performance.now();
    const cpu = process.cpuUsage();
    const report = await importMunin({
      dbdir,
      hosts: new HostDirectories({ wspRoot: join(dir, 'wsps'), hashChars: 2, index }),
      index,
      rrdtool,
      hostIdFormat: '{name}',
      sparse: false,
      logger: silentLogger(),
      clock: systemClock,
    });
    const importSeconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const perSecond = report.files / importSeconds;
    console.log(
      `import: ${report.files} RRD files of 460 days (${report.points} points written, ${report.hosts} hosts, ${report.skipped.length} skipped)`,
    );
    console.log(`  reference: rrdtool reads alone              ${(FILES / readSeconds).toFixed(1)} files/s`);
    console.log(
      `  import-munin                                ${perSecond.toFixed(1)} files/s   ratio to reference ${(perSecond / (FILES / readSeconds)).toFixed(2)}   (importer CPU ${((1000 * (used.user + used.system)) / 1e6 / report.files).toFixed(1)} ms per file, rrdtool's not counted)`,
    );
  } finally {
    await rrdtool.stop();
    await deleteRedisPrefix(prefix, redis).catch(() => 0);
    await redis.quit();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
