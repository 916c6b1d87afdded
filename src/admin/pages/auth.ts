/** Login, logout and "change my password". */
import type { FastifyInstance } from 'fastify';
import type { AdminContext } from '../app.js';
import { field } from '../form.js';
import { changeOwnPassword, checkAdminLogin } from '../login.js';
import { redirectWithFlash, renderPage } from '../render.js';
import { BROWSER_IDLE_MS, createSession, SESSION_COOKIE } from '../sessions.js';

/** Only a path of this site is followed after login (never another host: an open redirect). */
const safeNext = (next: string | undefined) => (next && /^\/(?!\/)[^\\]*$/.test(next) ? next : '/');

export function registerAuthPages(app: FastifyInstance, ctx: AdminContext): void {
  app.get<{ Querystring: { next?: string } }>('/login', { config: { public: true } }, async (req, reply) => {
    if (req.admin) return reply.redirect(safeNext(req.query.next), 303);
    return renderPage(req, reply, 'login', { title: 'Log in', next: safeNext(req.query.next), login: '', error: null });
  });

  app.post('/login', { config: { public: true } }, async (req, reply) => {
    const login = field(req.body, 'login').trim();
    const next = safeNext(field(req.body, 'next'));
    const r = await checkAdminLogin(ctx, req.ip, login, field(req.body, 'password'));
    if (!r.ok) {
      const error = r.blocked ? 'Too many failed logins. Wait 15 minutes and try again.' : 'Wrong name or password, or this user is not an administrator.';
      return renderPage(req, reply, 'login', { title: 'Log in', next, login, error }, r.blocked ? 429 : 401);
    }
    const { token } = await createSession(ctx.store, r.user, 'browser');
    reply.setCookie(SESSION_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'strict', maxAge: BROWSER_IDLE_MS / 1000 });
    return reply.redirect(next, 303);
  });

  app.post('/logout', async (req, reply) => {
    await ctx.store.adminSessions.remove(req.admin!.tokenHash);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return redirectWithFlash(reply, '/login', { kind: 'ok', text: 'You are logged out.' });
  });

  app.get('/password', async (req, reply) => renderPage(req, reply, 'password', { title: 'Change your password', error: null }));

  app.post('/password', async (req, reply) => {
    const next = field(req.body, 'new');
    const error =
      next !== field(req.body, 'confirm')
        ? 'The two new passwords are not the same.'
        : await changeOwnPassword(ctx, req.admin!.user, req.admin!.tokenHash, field(req.body, 'current'), next);
    if (error) return renderPage(req, reply, 'password', { title: 'Change your password', error }, 400);
    return redirectWithFlash(reply, '/', { kind: 'ok', text: 'Your password was changed; your other sessions were logged out.' });
  });
}
