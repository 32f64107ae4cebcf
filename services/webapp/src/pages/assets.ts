import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';

/** The repository root (holds package.json), from src/ (tsx) or dist/ (compiled) alike. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || existsSync(join(dir, 'CONTRACT.md'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the pages module');
    dir = up;
  }
  return dir;
}

/**
 * Static files: `/static` (CSS), `/app` (the browser client compiled by
 * `tsc -p services/webapp/tsconfig.client.json` into dist/webapp-public) and `/vendor` (uPlot
 * from node_modules, so no CDN and no bundler).
 */
export function assetsRouter(): Router {
  const root = repoRoot();
  const r = express.Router();
  const options = { fallthrough: true, index: false, maxAge: '5m' } as const;
  r.use('/static', express.static(join(root, 'services/webapp/public'), options));
  r.use('/app', express.static(join(root, 'dist/webapp-public'), options));
  r.get('/app/client/vendor/uplot.js', (_req, res) => res.sendFile(join(root, 'node_modules/uplot/dist/uPlot.esm.js')));
  r.get('/vendor/uplot.esm.js', (_req, res) => res.sendFile(join(root, 'node_modules/uplot/dist/uPlot.esm.js')));
  r.get('/vendor/uplot.min.css', (_req, res) => res.sendFile(join(root, 'node_modules/uplot/dist/uPlot.min.css')));
  return r;
}
