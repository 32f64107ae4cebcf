import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import express, { type Express, type Router } from 'express';
import session from 'express-session';
import helmet from 'helmet';
import { basicAuth } from './auth/basic.js';
import { CsrfTokens, csrfProtection, loginCsrf } from './auth/csrf.js';
import { loadUser } from './auth/middleware.js';
import { authRouter, SESSION_COOKIE } from './auth/routes.js';
import { trustProxySetting } from './config.js';
import { MySqlSessionStore } from './db/session-store.js';
import type { AppDeps } from './deps.js';
import { jsonErrorHandler } from './http-errors.js';
import { restRouter } from './rest/index.js';
import { wideStorageRouter } from './wide-storage.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Strict CSP: scripts and styles from our own origin only, no inline code, no framing. */
const CSP = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    fontSrc: ["'self'"],
    objectSrc: ["'none'"],
    frameAncestors: ["'none'"],
    baseUri: ["'self'"],
    formAction: ["'self'"],
  },
};

/**
 * The UI's routers (`pages/index.ts` → `pagesRouter`, `export/index.ts` → `exportRouter`),
 * loaded when their module exists so the server runs before they are written.
 */
async function optionalRouter(deps: AppDeps, folder: string, exportName: string): Promise<Router | null> {
  const candidates = ['index.js', 'index.ts'].map((f) => join(HERE, folder, f));
  const file = candidates.find((f) => existsSync(f));
  if (!file) return null;
  const module = (await import(pathToFileURL(file).href)) as Record<string, (d: AppDeps) => Router | Promise<Router>>;
  const factory = module[exportName];
  if (typeof factory !== 'function') throw new Error(`${folder}/index does not export ${exportName}(deps)`);
  return factory(deps);
}

function sessionSecrets(deps: AppDeps): string[] {
  const keys = deps.config.web.secret_key
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  if (keys.length) return keys;
  deps.logger.warn('[web] secret_key is empty: using a random key, sessions end when the process restarts');
  return [randomBytes(32).toString('hex')];
}

export interface AppOptions {
  /** Mount the UI's pages and export routers when present (default true; core tests leave them out). */
  mountUi?: boolean;
}

export async function createApp(deps: AppDeps, options: AppOptions = {}): Promise<Express> {
  const app = express();
  const web = deps.config.web;
  const secrets = sessionSecrets(deps);
  const csrf = new CsrfTokens({ keys: secrets, secureCookies: web.secure_cookies });
  app.set('trust proxy', trustProxySetting(web.trust_proxy));
  app.disable('x-powered-by');
  app.set('json escape', true); // <, > and & escaped in JSON, inert even if sniffed as HTML
  // `same-origin`, not helmet's `no-referrer`: with no-referrer, browsers send `Origin: null`
  // on same-origin form posts, and the CSRF origin check would refuse the login form.
  app.use(helmet({ contentSecurityPolicy: CSP, strictTransportSecurity: web.secure_cookies, referrerPolicy: { policy: 'same-origin' } }));
  app.use(express.json({ limit: '1mb' }));
  app.use(express.urlencoded({ extended: false, limit: '1mb' }));
  app.use(
    session({
      name: SESSION_COOKIE,
      secret: secrets,
      store: new MySqlSessionStore(deps.pool, web.session_max_age * 1000),
      resave: false,
      saveUninitialized: false,
      rolling: true,
      cookie: { httpOnly: true, sameSite: 'lax', secure: web.secure_cookies, maxAge: web.session_max_age * 1000, path: '/' },
    }),
  );
  app.use(loadUser(deps.repos));
  app.use(['/rest', '/wide-storage', '/export'], basicAuth(deps, deps.loginLimiter));
  app.use((req, res, next) => {
    // an audit line for every change: who did what, and how it ended
    if (req.method !== 'GET' && req.method !== 'HEAD')
      res.on('finish', () =>
        deps.logger.info({ user: req.user?.username ?? null, method: req.method, url: req.originalUrl, status: res.statusCode }, 'change'),
      );
    next();
  });
  app.use(csrfProtection(csrf));

  app.get('/healthz', async (_req, res) => {
    const storage = deps.storages.counters;
    try {
      await deps.pool.query('SELECT 1');
      res.json({ status: 'ok', database: 'ok', storage });
    } catch (error) {
      // anyone may ask: the error itself (host names, users, driver text) goes to the log only
      deps.logger.error({ err: error }, 'health check: the database does not answer');
      res.status(503).json({ status: 'degraded', database: 'unavailable', storage });
    }
  });
  app.use(authRouter(deps, { limiter: deps.loginLimiter, loginCsrf: loginCsrf(csrf) }));
  app.use('/rest', restRouter(deps));
  app.use('/wide-storage', wideStorageRouter(deps));
  for (const [folder, name] of options.mountUi === false
    ? []
    : ([
        ['pages', 'pagesRouter'],
        ['export', 'exportRouter'],
      ] as const)) {
    const router = await optionalRouter(deps, folder, name);
    if (router) app.use(router);
  }
  app.use(['/rest', '/wide-storage'], (_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  app.use(jsonErrorHandler(deps.logger));
  return app;
}
