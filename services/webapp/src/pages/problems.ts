import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { RuleKey } from '../../../../common/schemas/index.js';
import { csrfToken } from '../auth/csrf.js';
import { requirePageUser } from '../auth/middleware.js';
import type { AuthUser } from '../auth/user.js';
import type { AppDeps } from '../deps.js';
import { alertTabs, contactEditor, ruleEditor, silenceEditor } from './alert-editors.js';
import { html, type SafeHtml } from './html.js';
import { layout } from './layout.js';

/**
 * Alerting pages: Problems, the history of a host or a rule, and the rule, contact and silence
 * editors. Shells only: `client/problems.ts`, `client/alert-history.ts` and
 * `client/alert-editors.ts` fill them from `/rest/alerts/...` with textContent.
 */
export function problemsRouter(deps: AppDeps): Router {
  const r = express.Router();
  const page = (req: Request, res: Response, title: string, body: SafeHtml, script?: string) => {
    res.type('html').send(layout({ title, user: req.user, csrf: csrfToken(req), body, script, active: 'problems' }));
  };
  const notFound = (req: Request, res: Response) => {
    res.status(404);
    page(req, res, 'Not found', html`<h1>Not found</h1><p>This page does not exist or you may not see it.</p>`);
  };
  const wrap = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) =>
    fn(req, res).catch(next);
  const user = (req: Request) => req.user as AuthUser;

  r.get('/problems', requirePageUser, (req, res) => {
    page(req, res, 'Problems', problemsBody(), 'problems');
  });

  r.get(
    '/alerts/history',
    requirePageUser,
    wrap(async (req, res) => {
      const { host: hostParam, rule } = req.query;
      if (typeof hostParam === 'string') {
        const host = /^\d{1,10}$/.test(hostParam) ? await deps.access.host(user(req), Number(hostParam)) : null;
        if (!host) return notFound(req, res);
        const body = historyBody(html`Alert history of <a href="/hosts/${host.id}">${host.name}</a>`, { host: String(host.id) });
        return page(req, res, `Alerts of ${host.name}`, body, 'alert-history');
      }
      const key = RuleKey.safeParse(rule);
      if (!key.success) return notFound(req, res);
      page(
        req,
        res,
        `Alerts of ${key.data}`,
        historyBody(html`Alert history of rule <code>${key.data}</code>`, { rule: key.data }),
        'alert-history',
      );
    }),
  );

  r.get(
    '/alerts/rules',
    requirePageUser,
    wrap(async (req, res) => page(req, res, 'Alert rules', await ruleEditor(deps, user(req)), 'alert-editors')),
  );
  r.get(
    '/alerts/contacts',
    requirePageUser,
    wrap(async (req, res) => page(req, res, 'Contacts', await contactEditor(deps, user(req)), 'alert-editors')),
  );
  r.get(
    '/alerts/silences',
    requirePageUser,
    wrap(async (req, res) => page(req, res, 'Silences', await silenceEditor(deps, user(req)), 'alert-editors')),
  );
  return r;
}

function problemsBody(): SafeHtml {
  return html`<div class="page-head"><h1>Problems</h1><input type="search" id="problem-filter" placeholder="Filter host, plugin, field, reason" aria-label="Filter problems"></div>
${alertTabs('problems')}
<p class="error" id="failing-contacts" role="alert" hidden></p>
<section class="card"><table class="alert-table" id="problems"><thead><tr><th>state</th><th>host</th><th>series</th><th>rule</th><th>since</th><th>value</th><th>reason</th><th>acknowledge / silence</th></tr></thead><tbody></tbody></table>
<p class="muted" id="problems-status" role="status"></p>
<div class="pager"><button type="button" id="previous" disabled>Previous</button><button type="button" id="next" disabled>Next</button></div></section>`;
}

function historyBody(title: SafeHtml, filter: { host?: string; rule?: string }): SafeHtml {
  const subscribe = filter.host
    ? html`<button type="button" class="head-action" id="subscribe" data-host="${filter.host}" hidden>Subscribe</button>`
    : '';
  return html`<div class="page-head"><h1>${title}</h1>${subscribe}</div>
${alertTabs('problems')}
<section class="card" id="history" data-host="${filter.host ?? ''}" data-rule="${filter.rule ?? ''}"><table class="alert-table"><thead><tr><th>at</th><th>host</th><th>series</th><th>rule</th><th>change</th><th>value</th><th>reason</th></tr></thead><tbody></tbody></table>
<p class="muted" id="history-status" role="status"></p>
<div class="pager"><button type="button" id="previous" disabled>Previous</button><button type="button" id="next" disabled>Next</button></div></section>`;
}
