import type { AuthUser } from '../auth/user.js';
import { html, type SafeHtml } from './html.js';

export interface PageOptions {
  title: string;
  user?: AuthUser;
  csrf: string;
  /** Which client module to run (`/app/client/<name>.js`). */
  script?: string;
  body: SafeHtml;
  active?: 'hosts' | 'dashboards' | 'problems' | 'admin';
}

/** The page shell: no inline script or style (strict CSP); data for the client in data-* attributes. */
export function layout(o: PageOptions): string {
  const nav = (href: string, label: string, key: PageOptions['active']) =>
    html`<a href="${href}" class="${o.active === key ? 'active' : ''}">${label}</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${o.csrf}">
<title>${o.title} · numeter</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/vendor/uplot.min.css">
<link rel="stylesheet" href="/static/app.css">
${o.script ? html`<script type="module" src="/app/client/${o.script}.js"></script>` : ''}
</head>
<body>
<header class="topbar">
  <a class="brand" href="/">numeter</a>
  ${
    o.user
      ? html`<nav>${nav('/', 'Hosts', 'hosts')}${nav('/dashboards', 'Dashboards', 'dashboards')}${nav('/problems', 'Problems', 'problems')}${o.user.isSuperuser ? nav('/admin', 'Admin', 'admin') : ''}</nav>
  <form class="logout" method="post" action="/logout"><input type="hidden" name="_csrf" value="${o.csrf}"><span class="who">${o.user.username}</span><button type="submit">Log out</button></form>`
      : ''
  }
</header>
<main>
${o.body}
</main>
</body>
</html>`.value;
}
