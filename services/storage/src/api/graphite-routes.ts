import express, { type Request, Router } from 'express';
import type { FindNode, GraphiteSeries } from '../../../../common/schemas/index.js';
import { seriesFile, UnsafePathError } from '../files/layout.js';
import type { RouteContext } from './context.js';
import { BadParameterError, LimitExceededError, quote, SeriesReadError } from './errors.js';
import { evaluate, type RenderSeries } from './graphite-functions.js';
import { parseTarget } from './graphite-target.js';
import { GraphiteTree, type Leaf } from './graphite-tree.js';
import { allValues, optionalParam, positiveIntParam, requiredParam } from './params.js';
import { PointBudget } from './point-budget.js';
import { readSeries, type SeriesSource } from './series.js';
import { windowFrom } from './window.js';

/**
 * The Graphite API subset Grafana's Graphite data source uses: `/render` (format=json),
 * `/metrics/find` (treejson, completer) and `/metrics/expand`. GET and POST (urlencoded
 * form, as Grafana sends) are both accepted; query and body parameters are merged.
 */
const MAX_TARGETS = 50;
const MAX_EXPAND_QUERIES = 50;

export function graphiteRouter(ctx: RouteContext): Router {
  const router = Router();
  const tree = new GraphiteTree(ctx.catalog, ctx.settings.maxFindResults);
  router.use(['/render', '/metrics'], express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 200 }));

  router.all('/render', async (req, res) => {
    const format = optionalParam(req, 'format') ?? 'json';
    if (format !== 'json') throw new BadParameterError('format', `format ${quote(format)} is not supported (only json)`);
    if (optionalParam(req, 'jsonp') !== undefined) throw new BadParameterError('jsonp', 'jsonp is not supported');
    const targets = [...allValues(req, 'target'), ...allValues(req, 'target[]')].filter((t) => t.trim() !== '');
    if (targets.length === 0) throw new BadParameterError('target', 'missing parameter target');
    if (targets.length > MAX_TARGETS) throw new BadParameterError('target', `more than ${MAX_TARGETS} targets`);
    const window = windowFrom(optionalParam(req, 'from'), optionalParam(req, 'until'), ctx.now(), 86_400);
    const maxDataPoints = positiveIntParam(req, 'maxDataPoints');
    const noNullPoints = ['1', 'true'].includes(optionalParam(req, 'noNullPoints') ?? '');
    const exprs = targets.map((t) => parseTarget(t));
    let leafBudget = ctx.settings.maxFindResults;
    const hostDirs = new Map<string, Promise<string | null>>();
    const hostDir = (host: string) => {
      const known = hostDirs.get(host);
      if (known) return known;
      const dir = ctx.catalog.hostDir(host);
      hostDirs.set(host, dir);
      return dir;
    };
    const budget = new PointBudget(ctx.settings, 'target');
    const fetchPaths = async (pattern: string): Promise<RenderSeries[]> => {
      const leaves = await tree.leaves(pattern, 'target');
      leafBudget -= leaves.length;
      if (leafBudget < 0) {
        throw new LimitExceededError(
          'max_find_results',
          `targets match more than max_find_results (${ctx.settings.maxFindResults}) series`,
          'target',
        );
      }
      const sources: Array<SeriesSource & { leaf: Leaf }> = [];
      for (const leaf of leaves) {
        const dir = await hostDir(leaf.host);
        if (dir === null) continue;
        try {
          sources.push({ name: leaf.path, path: seriesFile(dir, leaf.plugin, leaf.ds), leaf });
        } catch (error) {
          if (!(error instanceof UnsafePathError)) throw error;
          // A name in Redis that cannot be a file name: never turned into a path.
          ctx.logger.warn({ series: leaf.path.slice(0, 300) }, 'unsafe name in the index; series skipped');
        }
      }
      const outcomes = await readSeries(ctx.whisper, sources, window, budget, { maxDataPoints });
      const out: RenderSeries[] = [];
      outcomes.forEach((outcome, i) => {
        const { leaf } = sources[i];
        if (outcome.status === 'unreadable') throw new SeriesReadError(quote(leaf.path), outcome.reason);
        // No file yet, or nothing stored in the window: no series, as Graphite.
        if (outcome.status !== 'read') return;
        const { start, step, values } = outcome.data;
        out.push({ name: leaf.path, path: leaf.path, start, step, values });
      });
      return out;
    };
    const series: RenderSeries[] = [];
    for (const expr of exprs) series.push(...(await evaluate(expr, { from: window.from, until: window.until, fetchPaths })));
    const total = series.reduce((n, s) => n + s.values.length, 0);
    if (total > ctx.settings.maxPoints) {
      throw new LimitExceededError(
        'max_points',
        `the response would carry ${total} points, more than max_points (${ctx.settings.maxPoints}): narrow the range or pass maxDataPoints`,
        'maxDataPoints',
      );
    }
    res.json(series.map((s) => toGraphite(s, noNullPoints)));
  });

  const find = async (req: Request, res: express.Response) => {
    const query = requiredParam(req, 'query');
    const format = optionalParam(req, 'format') ?? 'treejson';
    const nodes = (await tree.find(query, 'query')).sort(
      (a, b) => Number(a.leaf) - Number(b.leaf) || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0),
    );
    if (format === 'treejson') {
      const out: FindNode[] = nodes.map((n) => ({
        text: n.text,
        id: n.path,
        allowChildren: n.leaf ? 0 : 1,
        expandable: n.leaf ? 0 : 1,
        leaf: n.leaf ? 1 : 0,
      }));
      if (optionalParam(req, 'wildcards') === '1' && out.length > 1) {
        const base = query.includes('.') ? query.slice(0, query.lastIndexOf('.') + 1) : '';
        out.unshift({ text: '*', id: `${base}*`, allowChildren: 1, expandable: 1, leaf: 0 });
      }
      res.json(out);
    } else if (format === 'completer') {
      res.json({ metrics: nodes.map((n) => ({ path: n.leaf ? n.path : `${n.path}.`, name: n.text, is_leaf: n.leaf ? '1' : '0' })) });
    } else {
      throw new BadParameterError('format', `format ${quote(format)} is not supported (treejson or completer)`);
    }
  };
  router.all('/metrics/find', find);
  router.all('/metrics', find);

  router.all('/metrics/expand', async (req, res) => {
    const queries = allValues(req, 'query').filter((q) => q !== '');
    if (queries.length === 0) throw new BadParameterError('query', 'missing parameter query');
    if (queries.length > MAX_EXPAND_QUERIES) throw new BadParameterError('query', `more than ${MAX_EXPAND_QUERIES} queries`);
    const leavesOnly = optionalParam(req, 'leavesOnly') === '1';
    const results = new Set<string>();
    for (const query of queries) {
      for (const node of await tree.find(query, 'query')) if (node.leaf || !leavesOnly) results.add(node.path);
      if (results.size > ctx.settings.maxFindResults) {
        throw new LimitExceededError(
          'max_find_results',
          `queries match more than max_find_results (${ctx.settings.maxFindResults}) paths together: use narrower patterns`,
          'query',
        );
      }
    }
    res.setHeader('Cache-Control', 'no-cache').json({ results: [...results].sort() });
  });

  return router;
}

function toGraphite(s: RenderSeries, noNullPoints: boolean): GraphiteSeries {
  const datapoints: GraphiteSeries['datapoints'] = [];
  s.values.forEach((value, i) => {
    if (value === null && noNullPoints) return;
    datapoints.push([value !== null && Number.isFinite(value) ? value : null, s.start + i * s.step]);
  });
  return { target: s.name, tags: { name: s.name }, datapoints };
}
