import { type Request, Router } from 'express';
import {
  AckIn,
  type AlertHistoryOut,
  AlertHistoryQuery,
  type AlertStateOut,
  AlertStatesQuery,
  type GraphAlertState,
  type GraphAlertStates,
  ProblemsQuery,
  type SubscriptionOut,
} from '../../../../common/schemas/index.js';
import type { AuthUser } from '../auth/user.js';
import type { AppDeps } from '../deps.js';
import { seriesLabel } from '../extended-data.js';
import { HttpError, NotFoundError } from '../http-errors.js';
import type { AlertHistoryRow, AlertStateRow, Silence } from '../repos/index.js';
import type { PageRequest } from '../repos/sql.js';
import { alertConfigRouter } from './alerts-config.js';
import { silenceCovers } from './alerts-silenced.js';
import { found, idParam, pageOf, parseBody, parseQuery, user } from './common.js';

/**
 * `/rest/alerts/...`: problems, states on graphs, history, acknowledgements, subscriptions
 * (here) and rules, contacts, silences (alerts-config.ts). A user sees the alerts of the hosts
 * they may see (src/access.ts), nothing else: others are 404, never 403.
 */
export function alertsRouter(deps: AppDeps): Router {
  const r = Router();
  stateRoutes(r, deps);
  subscriptionRoutes(r, deps);
  r.use(alertConfigRouter(deps));
  return r;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function stateOut(s: AlertStateRow, silences: readonly Silence[]): AlertStateOut {
  return {
    id: s.id,
    rule_key: s.ruleKey,
    rule_name: s.ruleName,
    hostid: s.hostid,
    host: s.hostId,
    host_name: s.hostName,
    plugin: s.plugin,
    field: s.field,
    state: s.state,
    since: s.since.toISOString(),
    value: s.value,
    last_point_at: iso(s.lastPointAt),
    reason: s.reason,
    flapping: s.flapping,
    acked_by: s.ackedBy,
    acked_at: iso(s.ackedAt),
    ack_comment: s.ackComment,
    silenced_by: silences.filter((x) => silenceCovers(x, s)).map((x) => x.id),
  };
}

function historyOut(h: AlertHistoryRow): AlertHistoryOut {
  return {
    id: h.id,
    state_id: h.stateId,
    rule_key: h.ruleKey,
    rule_name: h.ruleName,
    hostid: h.hostid,
    host: h.hostId,
    host_name: h.hostName,
    plugin: h.plugin,
    field: h.field,
    previous: h.previous,
    state: h.state,
    at: h.at.toISOString(),
    value: h.value,
    reason: h.reason,
  };
}

function graphState(label: string, s: AlertStateRow): GraphAlertState {
  return { label, rule_key: s.ruleKey, rule_name: s.ruleName, state: s.state, since: s.since.toISOString(), reason: s.reason };
}

/** The states drawn on one graph: a plugin's fields (view thresholds left out), or a view's series. */
async function graphStates(deps: AppDeps, u: AuthUser, req: Request): Promise<GraphAlertStates> {
  const q = parseQuery(AlertStatesQuery, req);
  const { states } = deps.repos.alerting;
  const scope = deps.access.hostScope(u);
  if (q.view === undefined) {
    const host = found(await deps.access.host(u, q.host as number));
    const rows = await states.ofSeries([{ hostid: host.hostid, plugin: q.plugin as string }], scope);
    return { results: rows.filter((s) => !s.ruleKey.startsWith('view:')).map((s) => graphState(s.field, s)) };
  }
  const view = found(await deps.access.view(u, q.view));
  const paths = (await deps.repos.sources.withPath(view.sources)).filter((p) => deps.access.canSeeHostRow(u, p.host));
  const labels = new Map(paths.map((p) => [`${p.host.hostid}\u0000${p.plugin.name}\u0000${p.source.name}`, seriesLabel(p)]));
  const rows = await states.ofSeries(
    paths.map((p) => ({ hostid: p.host.hostid, plugin: p.plugin.name, field: p.source.name })),
    scope,
  );
  const results: GraphAlertState[] = [];
  for (const s of rows) {
    if (s.ruleKey.startsWith('view:') && s.ruleKey !== `view:${view.id}`) continue;
    const label = labels.get(`${s.hostid}\u0000${s.plugin}\u0000${s.field}`);
    if (label !== undefined) results.push(graphState(label, s));
  }
  return { results };
}

function pageOfQuery(q: { page: number; page_size: number; q?: string }): PageRequest {
  return { page: q.page, pageSize: q.page_size, q: q.q ?? '' };
}

function stateRoutes(r: Router, deps: AppDeps): void {
  const { states, config } = deps.repos.alerting;
  r.get('/alerts/problems', async (req, res) => {
    const u = user(req);
    const page = pageOfQuery(parseQuery(ProblemsQuery, req));
    const [result, silences] = await Promise.all([states.problems(page, deps.access.hostScope(u)), config.activeSilences()]);
    res.json(pageOf(req, page, result, (s) => stateOut(s, silences)));
  });
  r.get('/alerts/states', async (req, res) => {
    res.json(await graphStates(deps, user(req), req));
  });
  r.get('/alerts/states/:id', async (req, res) => {
    const u = user(req);
    const state = found(await states.get(idParam(req), deps.access.hostScope(u)));
    res.json(stateOut(state, await config.activeSilences()));
  });
  r.post('/alerts/states/:id/ack', async (req, res) => {
    const u = user(req);
    const state = found(await states.get(idParam(req), deps.access.hostScope(u)));
    const { comment } = parseBody(AckIn, req);
    if (!(await states.acknowledge(state.id, u.id, deps.now(), comment))) throw new HttpError(409, 'an OK state needs no acknowledgement');
    res.json(stateOut(found(await states.get(state.id, deps.access.hostScope(u))), await config.activeSilences()));
  });
  r.delete('/alerts/states/:id/ack', async (req, res) => {
    const u = user(req);
    const state = found(await states.get(idParam(req), deps.access.hostScope(u)));
    await states.unacknowledge(state.id);
    res.status(204).end();
  });
  r.get('/alerts/history', async (req, res) => {
    const u = user(req);
    const q = parseQuery(AlertHistoryQuery, req);
    const host = q.host === undefined ? undefined : found(await deps.access.host(u, q.host));
    const page = pageOfQuery(q);
    const result = await states.history(page, deps.access.hostScope(u), { hostid: host?.hostid, ruleKey: q.rule });
    res.json(pageOf(req, page, result, historyOut));
  });
}

/** A user's own subscriptions; a host they may not see cannot be subscribed to (404). */
function subscriptionRoutes(r: Router, deps: AppDeps): void {
  const { subscriptions } = deps.repos.alerting;
  const hostParam = (req: Request) => idParam(req, 'host');
  r.get('/alerts/subscriptions', async (req, res) => {
    const u = user(req);
    const rows = await subscriptions.ofUser(u.id, deps.access.hostScope(u));
    const results: SubscriptionOut[] = rows.map((s) => ({ host: s.hostId, host_name: s.hostName, hostid: s.hostid }));
    res.json({ results });
  });
  r.put('/alerts/subscriptions/:host', async (req, res) => {
    const u = user(req);
    const host = found(await deps.access.host(u, hostParam(req)));
    await subscriptions.add(u.id, host.id);
    res.status(204).end();
  });
  r.delete('/alerts/subscriptions/:host', async (req, res) => {
    const u = user(req);
    const host = found(await deps.access.host(u, hostParam(req)));
    if (!(await subscriptions.remove(u.id, host.id))) throw new NotFoundError();
    res.status(204).end();
  });
}
