import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { escapeHtml, html } from '../src/pages/html.js';
import { loginAgent } from './helpers.js';
import { createUiWorld, EVIL_LABEL, EVIL_TITLE, type UiWorld } from './ui-world.js';

describe('html template', () => {
  it('escapes every interpolation, keeps nested templates, drops null/false', () => {
    const name = `<script>alert("x")</script> & 'q' \``;
    assert.equal(escapeHtml(name), '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39; &#96;');
    const out = html`<p title="${name}">${[html`<b>${name}</b>`, null, false, 3]}</p>`.value;
    assert.equal(out, `<p title="${escapeHtml(name)}"><b>${escapeHtml(name)}</b>3</p>`);
  });
});

describe('pages', () => {
  let w: UiWorld;
  before(async () => {
    w = await createUiWorld();
  });
  after(async () => w?.close());

  it('anonymous pages redirect to the login form, which carries the CSRF token and a local next only', async () => {
    const res = await request(w.app).get(`/hosts/${w.web1.id}`);
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, `/login?next=${encodeURIComponent(`/hosts/${w.web1.id}`)}`);
    const login = await request(w.app).get('/login?next=//evil.example/x');
    assert.equal(login.status, 200);
    assert.match(login.text, /<input type="hidden" name="_csrf" value="[\w-]+">/);
    assert.match(login.text, /name="next" value="\/"/);
    assert.match(String(login.headers['content-security-policy']), /script-src 'self'/);
    assert.doesNotMatch(login.text, /<script>|style=/);
  });

  it('host page: a card per plugin grouped by category, hostile plugin text escaped', async () => {
    const { agent } = await loginAgent(w.app, 'alice', 'alice-password');
    const res = await agent.get(`/hosts/${w.web1.id}`);
    assert.equal(res.status, 200);
    assert.equal(res.text.match(/class="graph-card"/g)?.length, 4);
    assert.ok(res.text.includes(`<h3>${escapeHtml(EVIL_TITLE)}</h3>`));
    assert.ok(res.text.includes('id="cat-&lt;b&gt;cat&lt;/b&gt;"'));
    assert.ok(!res.text.includes('<script>alert') && !res.text.includes('<b>cat'));
    assert.ok(!res.text.includes(EVIL_LABEL), 'labels are only drawn by the client');
    assert.match(res.text, /<script type="module" src="\/app\/client\/graphs.js"><\/script>/);
    assert.equal((await agent.get(`/hosts/${w.db1.id}`)).status, 404, 'host of another group');
    assert.equal((await agent.get('/admin')).status, 404, 'admin is for superusers');
  });

  it('host tree groups visible hosts; assets are served', async () => {
    const { agent } = await loginAgent(w.app, 'alice', 'alice-password');
    const tree = await agent.get('/');
    assert.match(tree.text, /<h2>A<\/h2>/);
    assert.ok(tree.text.includes(`href="/hosts/${w.web1.id}"`));
    assert.ok(!tree.text.includes(`href="/hosts/${w.db1.id}"`));
    const uplot = await agent.get('/app/client/vendor/uplot.js');
    assert.equal(uplot.status, 200);
    assert.match(uplot.headers['content-type'], /javascript/);
    assert.equal((await agent.get('/vendor/uplot.min.css')).status, 200);
    assert.equal((await agent.get('/static/app.css')).status, 200);
  });
});
