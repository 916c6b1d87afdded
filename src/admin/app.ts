/**
 * The admin web application (fastify): plugins, the login gate, CSRF on every form post, and the
 * routes of each page (pages/) and of the JSON API (api.ts). Built without listening, so tests
 * drive it with inject(); admin-service.ts binds it to the configured port.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { LoginThrottle } from '../auth/login-throttle.js';
import type { BlobStore } from '../blobs/blob-store.js';
import type { Store } from '../store/interfaces.js';
import { registerApi } from './api.js';
import { registerTraceApi } from './api-trace.js';
import { registerRunApi } from './api-runs.js';
import { registerListApi } from './api-lists.js';
import { registerOperationsApi } from './api-operations.js';
import { registerAuthPages } from './pages/auth.js';
import { registerCollectorPages } from './pages/collectors.js';
import { registerDashboard } from './pages/dashboard.js';
import { registerDoctorPage } from './pages/doctor.js';
import { registerDuplicatePages } from './pages/duplicates.js';
import { registerLogsPage } from './pages/logs.js';
import { registerListPages } from './pages/lists.js';
import { registerQueuePages } from './pages/queue.js';
import { registerSettingsPages } from './pages/settings.js';
import { registerTracePages } from './pages/trace.js';
import { registerUserPages } from './pages/users.js';
import { renderPage, viewsDir } from './render.js';
import type { AdminRuntime } from './runtime.js';
import { resolveSession, SESSION_COOKIE, type AdminIdentity } from './sessions.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The logged-in admin, set by the login gate; null on public routes when nobody is. */
    admin: AdminIdentity | null;
  }
  interface FastifyContextConfig {
    /** Reachable without logging in (the login page, the stylesheet, /api/health, /api/login). */
    public?: boolean;
  }
}

/** What the admin application works with. */
export interface AdminDeps {
  store: Store;
  /** The message files (the diagnosis of a held copy reads its header). */
  blobs: BlobStore;
  log: Logger;
  runtime: AdminRuntime;
  /** Failed-login throttle shared by the login page and the API (tests pass a fast one). */
  throttle?: LoginThrottle;
}

/** What every route module receives. */
export interface AdminContext extends AdminDeps {
  throttle: LoginThrottle;
}

export async function buildAdminApp(deps: AdminDeps): Promise<FastifyInstance> {
  const ctx: AdminContext = { ...deps, throttle: deps.throttle ?? new LoginThrottle() };
  const app = Fastify({ logger: false, trustProxy: false });
  // Signs the CSRF secret and flash cookies. A fresh key per start only costs an open form its token.
  await app.register(fastifyCookie, { secret: randomBytes(32).toString('hex') });
  await app.register(fastifyFormbody);
  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieOpts: { path: '/', httpOnly: true, sameSite: 'strict', signed: true },
  });
  app.decorateRequest('admin', null);

  // The login gate: pages want the session cookie, the API a bearer token; only routes marked
  // public are open. A logged-out page request goes to the login page and comes back after.
  app.addHook('preHandler', async (req, reply) => {
    const api = req.url.startsWith('/api/');
    if (api) {
      const auth = req.headers.authorization;
      req.admin = await resolveSession(ctx.store, auth?.startsWith('Bearer ') ? auth.slice(7).trim() : undefined, 'api');
    } else {
      req.admin = await resolveSession(ctx.store, req.cookies[SESSION_COOKIE], 'browser');
    }
    if (req.admin || req.routeOptions.config.public) return;
    if (api) return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: 'log in with POST /api/login and send Authorization: Bearer TOKEN' });
    const next = req.method === 'GET' ? `?next=${encodeURIComponent(req.url)}` : '';
    return reply.redirect(`/login${next}`, 303);
  });
  // Every form post carries the CSRF token (the API is exempt: a bearer token is never sent by a
  // browser on its own, so a forged cross-site request cannot carry it).
  app.addHook('preHandler', (req, reply, done) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.url.startsWith('/api/')) return done();
    app.csrfProtection(req, reply, done);
  });

  app.setErrorHandler(async (err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const status = err.statusCode ?? 500;
    if (status >= 500) ctx.log.error({ err, url: req.url }, 'admin request failed');
    if (req.url.startsWith('/api/')) return reply.code(status).send({ error: err.code ?? 'error', message: status >= 500 ? 'internal error (see the server log)' : err.message });
    const csrf = err.code?.startsWith('FST_CSRF') ?? false;
    const message = csrf
      ? 'This form has expired or did not come from these pages, so nothing was changed. Go back, reload the page and try again.'
      : status >= 500
        ? 'Something went wrong; the server log has the details.'
        : err.message;
    return renderPage(req, reply, 'error', { title: csrf ? 'Form expired' : 'Error', message }, status);
  });
  app.setNotFoundHandler(async (req, reply) => {
    if (req.url.startsWith('/api/')) return reply.code(404).send({ error: 'not_found', message: `no such API route: ${req.method} ${req.url}` });
    return renderPage(req, reply, 'error', { title: 'Not found', message: `There is no page at ${req.url}.` }, 404);
  });

  const css = await readFile(path.join(viewsDir, 'style.css'), 'utf8');
  app.get('/style.css', { config: { public: true } }, async (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'max-age=300').send(css));

  registerAuthPages(app, ctx);
  registerDashboard(app, ctx);
  registerUserPages(app, ctx);
  registerListPages(app, ctx);
  registerCollectorPages(app, ctx);
  registerSettingsPages(app, ctx);
  registerDuplicatePages(app, ctx);
  registerQueuePages(app, ctx);
  registerDoctorPage(app, ctx);
  registerTracePages(app, ctx);
  registerLogsPage(app, ctx);
  registerApi(app, ctx);
  registerTraceApi(app, ctx);
  registerRunApi(app, ctx);
  registerListApi(app, ctx);
  registerOperationsApi(app, ctx);
  return app;
}
