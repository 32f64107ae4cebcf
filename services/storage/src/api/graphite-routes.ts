import express, { type Request, Router } from 'express';
import { wholeSecondsOf } from '../../../../common/lifecycle/index.js';
import type { FindNode } from '../../../../common/schemas/index.js';
import { parseAtTime } from './attime.js';
import type { RouteContext } from './context.js';
import { BadParameterError, LimitExceededError, quote } from './errors.js';
import { graphiteMetaRouter } from './graphite-meta.js';
import { renderHandler } from './graphite-render.js';
import { GraphiteTree, type TreeNode } from './graphite-tree.js';
import { allValues, optionalParam, requiredParam } from './params.js';

/**
 * The Graphite API Grafana's Graphite data source uses: `/render` (the query engine:
 * json, csv, raw), `/metrics/find` (treejson, completer), `/metrics/expand`, and the
 * metadata endpoints (`/functions`, `/version`, `/tags/...`). GET and POST (urlencoded
 * form, as Grafana sends) are both accepted; query and body parameters are merged.
 */
const MAX_EXPAND_QUERIES = 50;

export function graphiteRouter(ctx: RouteContext): Router {
  const router = Router();
  const tree = new GraphiteTree(ctx.catalog, ctx.settings.maxFindResults);
  router.use(['/render', '/metrics'], express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 200 }));

  router.all('/render', renderHandler(ctx, tree));
  router.use(graphiteMetaRouter());

  const find = async (req: Request, res: express.Response) => {
    const query = requiredParam(req, 'query');
    const format = optionalParam(req, 'format') ?? 'treejson';
    checkFindWindow(req, wholeSecondsOf(ctx.clock));
    const nodes = (await tree.find(query, 'query')).sort(byName);
    if (format === 'treejson') {
      res.json(treeJson(nodes, query, optionalParam(req, 'wildcards') === '1'));
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

/** By name; a branch before a leaf of the same path (graphite-web's store yields them so). */
function byName(a: TreeNode, b: TreeNode): number {
  return a.text < b.text ? -1 : a.text > b.text ? 1 : Number(a.leaf) - Number(b.leaf);
}

/**
 * graphite-web's tree_json (carbonapi's too): one node per name (a path that is both a
 * branch and a leaf is shown as the branch, which Grafana can open; the path still renders
 * as the leaf), its id the query up to its last dot and the name (`web1.*.load`, globs
 * kept), branches first then leaves, each by name; with `wildcards=1` a `*` node first, a
 * leaf when every match is one.
 */
function treeJson(nodes: readonly TreeNode[], query: string, wildcards: boolean): FindNode[] {
  const base = query.includes('.') ? query.slice(0, query.lastIndexOf('.') + 1) : '';
  const seen = new Set<string>();
  const branches: FindNode[] = [];
  const leaves: FindNode[] = [];
  for (const n of nodes) {
    if (seen.has(n.text)) continue;
    seen.add(n.text);
    (n.leaf ? leaves : branches).push(findNode(n.text, `${base}${n.text}`, n.leaf));
  }
  const out = [...branches, ...leaves];
  if (wildcards && nodes.length > 1) {
    out.unshift(
      findNode(
        '*',
        `${base}*`,
        nodes.every((n) => n.leaf),
      ),
    );
  }
  return out;
}

function findNode(text: string, id: string, leaf: boolean): FindNode {
  return { text, id, allowChildren: leaf ? 0 : 1, expandable: leaf ? 0 : 1, leaf: leaf ? 1 : 0 };
}

/**
 * Grafana sends from/until with every find. The tree has no time dimension (graphite-web's
 * whisper finder ignores them too), but a value that is not a time is still a 400.
 */
function checkFindWindow(req: Request, now: number): void {
  for (const name of ['from', 'until']) {
    const value = optionalParam(req, name);
    if (value) parseAtTime(value, now, name);
  }
}
