import { Router } from 'express';
import {
  AlertRuleInput,
  type AlertRuleOut,
  ContactIn,
  type ContactOut,
  SilenceIn,
  type SilenceOut,
  SilencesQuery,
} from '../../../../common/schemas/index.js';
import type { Access } from '../access.js';
import { type DestinationPolicy, destinationPolicy, ownerErrorText } from '../alerting/delivery/destinations.js';
import { hostGlobProblem } from '../alerting/delivery/silences.js';
import type { AuthUser } from '../auth/user.js';
import type { AppDeps } from '../deps.js';
import { HttpError, ValidationError } from '../http-errors.js';
import type { AlertRule, Contact, Silence } from '../repos/index.js';
import { EVERYTHING, inList, type Scope } from '../repos/sql.js';
import { found, idParam, listPage, pageOf, parseBody, parseQuery, user } from './common.js';

/**
 * Rules, contacts and silences. Superusers edit everything. Other users, as for views: a rule
 * on a source of a host they see or on a view they see; their own contacts (not commands: those
 * run programs on the server); silences of one host they see. Pattern rules and catch-all
 * contacts reach hosts of every group, so they are for superusers only.
 */
export function alertConfigRouter(deps: AppDeps): Router {
  const r = Router();
  ruleRoutes(r, deps);
  contactRoutes(r, deps);
  silenceRoutes(r, deps);
  return r;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

// ---- rules ----

/** Rules a user may see and edit (alias `r`); the target lives in the definition JSON. */
function ruleScope(access: Access, u: AuthUser): Scope {
  if (u.isSuperuser) return EVERYTHING;
  const hosts = access.hostScope(u);
  const views = access.viewScope(u);
  const kind = `JSON_VALUE(r.definition, '$.target.kind')`;
  return {
    sql: `(${kind} = 'source' AND JSON_VALUE(r.definition, '$.target.hostId') IN (SELECT h.hostid FROM hosts h WHERE ${hosts.sql}))
      OR (${kind} = 'view' AND CAST(JSON_VALUE(r.definition, '$.target.viewId') AS SIGNED) IN (SELECT v.id FROM views v WHERE ${views.sql}))`,
    params: [...hosts.params, ...views.params],
  };
}

async function checkRuleTarget(access: Access, u: AuthUser, rule: AlertRuleInput): Promise<void> {
  if (u.isSuperuser) return;
  const t = rule.target;
  if (t.kind === 'pattern') throw new HttpError(403, 'target: pattern rules are for superusers', 'target.kind');
  if (t.kind === 'source' && !(await access.hostByHostid(u, t.hostId)))
    throw new ValidationError(`target.hostId: no such host (${t.hostId})`, 'target.hostId');
  if (t.kind === 'view' && !(await access.view(u, t.viewId)))
    throw new ValidationError(`target.viewId: no such view (${t.viewId})`, 'target.viewId');
}

function ruleOut(rule: AlertRule): AlertRuleOut {
  return {
    id: rule.id,
    key: `rule:${rule.id}`,
    name: rule.name,
    enabled: rule.enabled,
    definition: rule.definition,
    created_by: rule.createdBy,
    created_at: rule.createdAt.toISOString(),
    updated_at: rule.updatedAt.toISOString(),
  };
}

function ruleRoutes(r: Router, deps: AppDeps): void {
  const { config } = deps.repos.alerting;
  const { access } = deps;
  r.get('/alerts/rules', async (req, res) => {
    res.json(await listPage(req, (page) => config.listRules(page, ruleScope(access, user(req))), ruleOut));
  });
  r.get('/alerts/rules/:id', async (req, res) => {
    res.json(ruleOut(found(await config.getRule(idParam(req), ruleScope(access, user(req))))));
  });
  r.post('/alerts/rules', async (req, res) => {
    const u = user(req);
    const rule = parseBody(AlertRuleInput, req);
    await checkRuleTarget(access, u, rule);
    const id = await config.createRule(rule, u.id);
    res.status(201).json(ruleOut(found(await config.getRule(id, EVERYTHING))));
  });
  r.put('/alerts/rules/:id', async (req, res) => {
    const u = user(req);
    const existing = found(await config.getRule(idParam(req), ruleScope(access, u)));
    const rule = parseBody(AlertRuleInput, req);
    await checkRuleTarget(access, u, rule);
    await config.updateRule(existing.id, rule);
    res.json(ruleOut(found(await config.getRule(existing.id, EVERYTHING))));
  });
  r.delete('/alerts/rules/:id', async (req, res) => {
    const existing = found(await config.getRule(idParam(req), ruleScope(access, user(req))));
    await config.deleteRule(existing.id);
    res.status(204).end();
  });
}

// ---- contacts ----

/** Contacts a user sees (alias `c`): their own and their groups' (read only). */
function contactScope(u: AuthUser): Scope {
  if (u.isSuperuser) return EVERYTHING;
  const groups = inList('c.group_id', u.groupIds);
  return { sql: `c.user_id = ? OR ${groups.sql}`, params: [u.id, ...groups.params] };
}

function mayEditContact(u: AuthUser, c: Pick<Contact, 'userId'>): boolean {
  return u.isSuperuser || c.userId === u.id;
}

/**
 * A non-superuser's contact is their own (user = them, no group), mail or an HTTP contact to a
 * destination `[delivery] user_destinations` allows, never a command (delivery/destinations.ts).
 */
function checkContactInput(u: AuthUser, c: ContactIn, destinations: DestinationPolicy): ContactIn {
  if (u.isSuperuser) return c;
  if (c.group !== null) throw new HttpError(403, 'group: only superusers give contacts to groups', 'group');
  if (c.user !== null && c.user !== u.id) throw new HttpError(403, 'user: a contact of another user is for superusers', 'user');
  const refusal = destinations.refusal(c.settings);
  if (refusal !== null) throw new HttpError(403, refusal, refusal.slice(0, refusal.indexOf(':')));
  return { ...c, user: u.id };
}

/** A contact as `u` sees it: only superusers read a failing receiver's own words. */
function contactOut(c: Contact, u: AuthUser): ContactOut {
  return {
    id: c.id,
    name: c.name,
    kind: c.kind,
    enabled: c.enabled,
    settings: c.settings,
    group: c.groupId,
    user: c.userId,
    min_state: c.minState,
    last_success_at: iso(c.lastSuccessAt),
    last_error: u.isSuperuser ? c.lastError : ownerErrorText(c.lastError),
    last_error_at: iso(c.lastErrorAt),
    failing_since: iso(c.failingSince),
    failing: c.failingSince !== null,
  };
}

function contactRoutes(r: Router, deps: AppDeps): void {
  const { config } = deps.repos.alerting;
  const destinations = destinationPolicy(deps.config.delivery.user_destinations);
  const toRow = (c: ContactIn) => ({
    name: c.name,
    enabled: c.enabled,
    settings: c.settings,
    groupId: c.group,
    userId: c.user,
    minState: c.min_state,
  });
  r.get('/alerts/contacts', async (req, res) => {
    const u = user(req);
    res.json(
      await listPage(
        req,
        (page) => config.listContacts(page, contactScope(u)),
        (c) => contactOut(c, u),
      ),
    );
  });
  r.get('/alerts/contacts/:id', async (req, res) => {
    const u = user(req);
    res.json(contactOut(found(await config.getContact(idParam(req), contactScope(u))), u));
  });
  r.post('/alerts/contacts', async (req, res) => {
    const u = user(req);
    const c = checkContactInput(u, parseBody(ContactIn, req), destinations);
    const id = await config.createContact(toRow(c));
    res.status(201).json(contactOut(found(await config.getContact(id, EVERYTHING)), u));
  });
  r.put('/alerts/contacts/:id', async (req, res) => {
    const u = user(req);
    const existing = found(await config.getContact(idParam(req), contactScope(u)));
    if (!mayEditContact(u, existing)) throw new HttpError(403, 'this contact belongs to a group: superusers edit it');
    const c = checkContactInput(u, parseBody(ContactIn, req), destinations);
    const changed = JSON.stringify(c.settings) !== JSON.stringify(existing.settings);
    await config.updateContact(existing.id, toRow(c), changed);
    res.json(contactOut(found(await config.getContact(existing.id, EVERYTHING)), u));
  });
  r.delete('/alerts/contacts/:id', async (req, res) => {
    const u = user(req);
    const existing = found(await config.getContact(idParam(req), contactScope(u)));
    if (!mayEditContact(u, existing)) throw new HttpError(403, 'this contact belongs to a group: superusers edit it');
    await config.deleteContact(existing.id);
    res.status(204).end();
  });
}

// ---- silences ----

/** Silences a user sees (alias `s`): theirs, and those naming one host they may see. */
function silenceScope(access: Access, u: AuthUser): Scope {
  if (u.isSuperuser) return EVERYTHING;
  const hosts = access.hostScope(u);
  return { sql: `s.created_by = ? OR s.host_glob IN (SELECT h.hostid FROM hosts h WHERE ${hosts.sql})`, params: [u.id, ...hosts.params] };
}

/** A non-superuser silences one host they may see, named exactly: a glob could silence other groups' hosts. */
async function checkSilenceInput(access: Access, u: AuthUser, s: SilenceIn, now: Date): Promise<{ startsAt: Date; endsAt: Date }> {
  const startsAt = s.starts_at ?? now;
  if (s.ends_at.getTime() <= Math.max(startsAt.getTime(), now.getTime()))
    throw new ValidationError('ends_at: a silence must end after it starts and in the future', 'ends_at');
  if (s.ends_at.getTime() - startsAt.getTime() > 366 * 86_400_000)
    throw new ValidationError('ends_at: a silence lasts at most a year', 'ends_at');
  if (!u.isSuperuser && (s.host_glob === null || !(await access.hostByHostid(u, s.host_glob))))
    throw new ValidationError('host_glob: name one host you may see (its host ID, no wildcards)', 'host_glob');
  // A superuser's pattern is a glob of the rules' language; a user's exact host ID is matched as it is.
  const problem = u.isSuperuser && s.host_glob !== null ? hostGlobProblem(s.host_glob) : null;
  if (problem) throw new ValidationError(`host_glob: ${problem}`, 'host_glob');
  return { startsAt, endsAt: s.ends_at };
}

export function silenceOut(s: Silence, now: Date): SilenceOut {
  return {
    id: s.id,
    rule_key: s.ruleKey,
    host_glob: s.hostGlob,
    plugin: s.plugin,
    field: s.field,
    starts_at: s.startsAt.toISOString(),
    ends_at: s.endsAt.toISOString(),
    comment: s.comment,
    created_by: s.createdBy,
    created_at: s.createdAt.toISOString(),
    active: s.startsAt <= now && s.endsAt > now,
  };
}

function silenceRoutes(r: Router, deps: AppDeps): void {
  const { config } = deps.repos.alerting;
  const { access } = deps;
  r.get('/alerts/silences', async (req, res) => {
    const u = user(req);
    const q = parseQuery(SilencesQuery, req);
    const page = { page: q.page, pageSize: q.page_size, q: '' };
    const result = await config.listSilences(page, silenceScope(access, u), q.status === 'active');
    res.json(pageOf(req, page, result, (s) => silenceOut(s, deps.now())));
  });
  r.get('/alerts/silences/:id', async (req, res) => {
    res.json(silenceOut(found(await config.getSilence(idParam(req), silenceScope(access, user(req)))), deps.now()));
  });
  r.post('/alerts/silences', async (req, res) => {
    const u = user(req);
    const s = parseBody(SilenceIn, req);
    const window = await checkSilenceInput(access, u, s, deps.now());
    const id = await config.createSilence(
      { ruleKey: s.rule_key, hostGlob: s.host_glob, plugin: s.plugin, field: s.field, comment: s.comment, ...window },
      u.id,
    );
    res.status(201).json(silenceOut(found(await config.getSilence(id, EVERYTHING)), deps.now()));
  });
  /** Expire early: the silence ends now and stays listed with `status=all`. */
  r.delete('/alerts/silences/:id', async (req, res) => {
    const existing = found(await config.getSilence(idParam(req), silenceScope(access, user(req))));
    await config.expireSilence(existing.id);
    res.status(204).end();
  });
}
