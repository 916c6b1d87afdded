/** Users: list, add, edit addresses/admin/password, remove (the mail is kept). */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { addUser, removeUser, updateUser } from '../../config/edit.js';
import type { AdminContext } from '../app.js';
import { checked, field, lines } from '../form.js';
import { changedText, problemsOf } from '../outcome.js';
import { redirectWithFlash, renderPage } from '../render.js';

type Named = { Params: { name: string } };

/** What the add/edit form shows: the stored user, or what was typed when it was refused. */
interface UserForm {
  name: string;
  addresses: string;
  admin: boolean;
}

export function registerUserPages(app: FastifyInstance, ctx: AdminContext): void {
  const form = (req: FastifyRequest, reply: FastifyReply, mode: 'new' | 'edit', values: UserForm, problems: string[] = []) =>
    renderPage(req, reply, 'user-form', { title: mode === 'new' ? 'Add a user' : `User ${values.name}`, mode, values, problems, self: req.admin?.user === values.name }, problems.length ? 400 : 200);
  const typed = (req: FastifyRequest, name: string): UserForm => ({ name, addresses: field(req.body, 'addresses'), admin: checked(req.body, 'admin') });

  app.get('/users', async (req, reply) => renderPage(req, reply, 'users', { title: 'Users', users: await ctx.store.users.list() }));

  app.get('/users/new', async (req, reply) => form(req, reply, 'new', { name: '', addresses: '', admin: false }));

  app.post('/users', async (req, reply) => {
    const name = field(req.body, 'name').trim().toLowerCase();
    const password = field(req.body, 'password');
    if (!password) return form(req, reply, 'new', typed(req, name), ['password: a new user needs a password']);
    try {
      const r = await addUser(ctx.store, { name, addresses: lines(req.body, 'addresses'), admin: checked(req.body, 'admin'), password });
      return redirectWithFlash(reply, '/users', { kind: 'ok', text: `Added user ${name}. ${changedText(r.changes)}`, lines: r.changes });
    } catch (err) {
      const problems = problemsOf(err);
      if (!problems) throw err;
      return form(req, reply, 'new', typed(req, name), problems);
    }
  });

  app.get<Named>('/users/:name', async (req, reply) => {
    const u = await ctx.store.users.get(req.params.name);
    if (!u) return reply.callNotFound();
    return form(req, reply, 'edit', { name: u.name, addresses: u.addresses.join('\n'), admin: u.admin });
  });

  app.post<Named>('/users/:name', async (req, reply) => {
    const { name } = req.params;
    const password = field(req.body, 'password');
    try {
      const r = await updateUser(ctx.store, name, { addresses: lines(req.body, 'addresses'), admin: checked(req.body, 'admin'), ...(password ? { password } : {}) });
      // A new password set by an admin logs that user out everywhere.
      if (password) await ctx.store.adminSessions.removeUser(name, req.admin!.tokenHash);
      return redirectWithFlash(reply, '/users', { kind: 'ok', text: `User ${name}: ${changedText(r.changes)}`, lines: r.changes });
    } catch (err) {
      const problems = problemsOf(err);
      if (!problems) throw err;
      return form(req, reply, 'edit', typed(req, name), problems);
    }
  });

  app.get<Named>('/users/:name/remove', async (req, reply) => {
    const u = await ctx.store.users.get(req.params.name);
    if (!u) return reply.callNotFound();
    return renderPage(req, reply, 'user-remove', { title: `Remove user ${u.name}`, u, self: req.admin?.user === u.name });
  });

  app.post<Named>('/users/:name/remove', async (req, reply) => {
    const { name } = req.params;
    if (name === req.admin!.user) return redirectWithFlash(reply, '/users', { kind: 'error', text: 'You cannot remove yourself while logged in as that user.' });
    try {
      const r = await removeUser(ctx.store, name);
      await ctx.store.adminSessions.removeUser(name);
      return redirectWithFlash(reply, '/users', { kind: 'ok', text: `Removed user ${name}. Their mail is kept; adding a user of the same name gives it back.`, lines: r.changes });
    } catch (err) {
      const problems = problemsOf(err);
      if (!problems) throw err;
      return redirectWithFlash(reply, '/users', { kind: 'error', text: `User ${name} was not removed.`, lines: problems });
    }
  });
}
