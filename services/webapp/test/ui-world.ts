import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { type Browser, chromium, type Page } from 'playwright-core';
import { RESOLUTION_SECONDS, type Resolution } from '../../../common/schemas/index.js';
import * as whisper from '../../../common/whisper/index.js';
import { createApp } from '../src/app.js';
import { populate } from '../src/populate.js';
import type { Host } from '../src/repos/index.js';
import { addStorage, addUser, createTestEnv, type TestEnv } from './helpers.js';

/** A hostile plugin: title, labels, vlabel and info with markup, quotes and ampersands. */
export const EVIL_TITLE = `<script>alert("t")</script> & 'quotes' "x"`;
export const EVIL_LABEL = `<img src=x onerror=alert(1)> & "lbl"`;

const PLUGINS: Record<string, Record<string, unknown> & { Infos: Record<string, Record<string, string>> }> = {
  load: {
    Title: 'Load average',
    Category: 'system',
    Vlabel: 'load',
    Infos: { load: { id: 'load', label: 'load', warning: '8', critical: '12' } },
  },
  cpu: {
    Title: 'CPU usage',
    Category: 'system',
    Vlabel: '%',
    Order: 'system user',
    Infos: { system: { id: 'system', label: 'system', draw: 'AREA' }, user: { id: 'user', label: 'user', draw: 'STACK' } },
  },
  if_eth0: {
    Title: 'eth0 traffic',
    Category: 'network',
    Vlabel: 'bits in (-) / out (+) per ${graph_period}',
    Infos: {
      down: { id: 'down', label: 'received', graph: 'no', cdef: 'down,8,*' },
      up: { id: 'up', label: 'bps', negative: 'down', cdef: 'up,8,*' },
    },
  },
  evil: { Title: EVIL_TITLE, Category: `<b>cat</b>`, Vlabel: `"v" & <u>`, Infos: { x: { id: 'x', label: EVIL_LABEL, info: '<i>i</i>' } } },
};
const HOSTS = {
  'web1.example': { Plugin: 'MyInfo', ID: 'web1.example', Name: 'web1', Description: 'front' },
  'db1.example': { Plugin: 'MyInfo', ID: 'db1.example', Name: 'db1', Description: 'database' },
};
const ARCHIVES = [
  { secondsPerPoint: 60, points: 1560 },
  { secondsPerPoint: 300, points: 2100 },
  { secondsPerPoint: 3600, points: 800 },
];

function pluginInfo(plugin: string) {
  return { Plugin: plugin, Describ: '', Base: '1000', Order: '', ...PLUGINS[plugin] };
}

/**
 * A storage serving the storage API shapes from real Whisper files (written and read with
 * common/whisper): one .wsp per host/plugin/ds, 26 hours of minute points ending now.
 */
async function startWhisperStorage(now: number): Promise<{ port: number; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'numeter-ui-wsp-'));
  const file = (host: string, plugin: string, ds: string) => join(dir, `${host}__${plugin}__${ds}.wsp`);
  for (const host of Object.keys(HOSTS)) {
    for (const [plugin, info] of Object.entries(PLUGINS)) {
      Object.keys(info.Infos).forEach((ds, k) => {
        const path = file(host, plugin, ds);
        whisper.create(path, ARCHIVES);
        const points: [number, number][] = [];
        for (let i = 0; i < 1560; i++) {
          const t = now - (1560 - i) * 60;
          points.push([t, Math.round(1000 * (20 + 10 * Math.sin(i / 90 + k) + (host.length % 3) * 5 + k * 8)) / 1000]);
        }
        whisper.updateMany(path, points, { now });
      });
    }
  }
  const app = express();
  const r = express.Router();
  r.get('/hosts', (_req, res) => void res.json(HOSTS));
  r.get('/hinfo', (req, res) => void res.json(HOSTS[String(req.query.host) as keyof typeof HOSTS]));
  r.get('/list', (_req, res) => void res.json(Object.fromEntries(Object.keys(PLUGINS).map((p) => [p, pluginInfo(p)]))));
  r.get('/info', (req, res) => {
    const plugin = String(req.query.plugin);
    if (!Object.hasOwn(PLUGINS, plugin)) res.status(404).json({ error: `unknown plugin ${plugin}`, parameter: 'plugin' });
    else res.json(pluginInfo(plugin));
  });
  r.get('/data', (req, res) => {
    const host = String(req.query.host);
    const plugin = String(req.query.plugin);
    const res_ = String(req.query.res ?? 'Daily') as Resolution;
    const until = req.query.until ? Number(req.query.until) : now;
    const from = req.query.from ? Number(req.query.from) : until - (RESOLUTION_SECONDS[res_] ?? 86_400);
    const datas: Record<string, (number | null)[]> = {};
    let start = from;
    let step = 60;
    for (const ds of String(req.query.ds ?? '').split(',')) {
      if (!Object.hasOwn(PLUGINS, plugin) || !Object.hasOwn(PLUGINS[plugin].Infos, ds)) continue;
      const fetched = whisper.fetch(file(host, plugin, ds), from, until, { now });
      if (!fetched) continue;
      start = fetched.start;
      step = fetched.step;
      datas[ds] = fetched.values;
    }
    res.json({ TS_start: start, TS_step: step, DATAS: datas });
  });
  app.use('/numeter-storage', r);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface UiWorld {
  t: TestEnv;
  app: express.Express;
  web1: Host;
  db1: Host;
  groupA: number;
  /** root (superuser) and alice (group of web1 only). */
  close(): Promise<void>;
}

export async function createUiWorld(): Promise<UiWorld> {
  const now = Math.floor(Date.now() / 1000);
  const t = await createTestEnv();
  const storage = await startWhisperStorage(now);
  const storageId = await addStorage(t.deps, 'main', storage.port);
  const groupA = await t.deps.repos.groups.create('A');
  const groupB = await t.deps.repos.groups.create('B');
  const web1 = (await t.deps.repos.hosts.upsert('web1.example', 'web1', storageId, groupA)).host;
  const db1 = (await t.deps.repos.hosts.upsert('db1.example', 'db1', storageId, groupB)).host;
  await populate(t.deps);
  await addUser(t.deps, 'root', 'root-password', { superuser: true });
  await addUser(t.deps, 'alice', 'alice-password', { groups: [groupA] });
  const app = await createApp(t.deps);
  return {
    t,
    app,
    web1,
    db1,
    groupA,
    async close() {
      try {
        await storage.close();
      } finally {
        await t.drop();
      }
    },
  };
}

export interface UiBrowser {
  server: Server;
  base: string;
  browser: Browser;
  page: Page;
}

/**
 * Serves `app` on a free port and opens Debian's Chromium on one page; page errors, console
 * errors and dialogs (which a hostile label must never open) are pushed to `pageErrors`.
 */
export async function openBrowser(app: express.Express, pageErrors: string[]): Promise<UiBrowser> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
  page.on('dialog', (d) => {
    pageErrors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  return { server, base, browser, page };
}
