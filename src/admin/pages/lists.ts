/** Lists: distribution and mailing lists with their members; add, edit, remove (through config/edit.ts). */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { removeList, saveList, type ListInput } from '../../config/edit.js';
import type { ListConfig } from '../../config/schema.js';
import { isLocal } from '../../pipeline/route.js';
import type { AdminContext } from '../app.js';
import { checked, field, lines } from '../form.js';
import { changedText, problemsOf } from '../outcome.js';
import { redirectWithFlash, renderPage } from '../render.js';

type Named = { Params: { name: string } };

/** What the form shows: the stored list, or what was typed when it was refused. */
interface ListForm {
  name: string;
  address: string;
  type: string;
  members: string;
  membersOnly: boolean;
  noSelfCopy: boolean;
}

const formOf = (l: ListConfig): ListForm => ({ name: l.name, address: l.address, type: l.type, members: l.members.join('\n'), membersOnly: l.membersOnly ?? false, noSelfCopy: l.noSelfCopy ?? false });

/**
 * The list a posted form describes. The options are only written when ticked, so a list saved here
 * reads like one written by hand; the type is passed through unchecked so the schema names it.
 */
function listOf(body: unknown): ListInput {
  return {
    name: field(body, 'name').trim().toLowerCase(),
    address: field(body, 'address').trim(),
    type: field(body, 'type') as ListInput['type'],
    members: lines(body, 'members'),
    ...(checked(body, 'membersOnly') ? { membersOnly: true } : {}),
    ...(checked(body, 'noSelfCopy') ? { noSelfCopy: true } : {}),
  };
}

/**
 * The form fields a refused edit's problems are about: those under `lists[index]` (the edited list's
 * place in the configuration), so "lists[2].members[0]: ..." marks Members. Problems of other lists
 * (a list naming this one when it is renamed) are shown at the top only.
 */
export function fieldsWithProblems(problems: string[], index: number): string[] {
  const prefix = `lists[${index}].`;
  return [...new Set(problems.filter((p) => p.startsWith(prefix)).map((p) => /^\w+/.exec(p.slice(prefix.length))?.[0] ?? ''))];
}

export function registerListPages(app: FastifyInstance, ctx: AdminContext): void {
  const form = async (req: FastifyRequest, reply: FastifyReply, original: string | null, values: ListForm, problems: string[] = []) => {
    let invalid: string[] = [];
    if (problems.length) {
      // The index the edit gave the list: a new one goes last, an edited one keeps its place.
      const { lists } = await ctx.store.config.snapshot();
      invalid = fieldsWithProblems(problems, original === null ? lists.length : lists.findIndex((l) => l.name === original));
    }
    return renderPage(req, reply, 'list-form', { title: original === null ? 'Add a list' : `List ${original}`, original, values, problems, invalid }, problems.length ? 400 : 200);
  };
  const typed = (req: FastifyRequest): ListForm => {
    const b = req.body;
    return { name: field(b, 'name'), address: field(b, 'address'), type: field(b, 'type'), members: field(b, 'members'), membersOnly: checked(b, 'membersOnly'), noSelfCopy: checked(b, 'noSelfCopy') };
  };

  /** Saves the posted list (added when `original` is null) and goes back to /lists, or shows the form with its problems. */
  const save = async (req: FastifyRequest, reply: FastifyReply, original: string | null) => {
    const list = listOf(req.body);
    try {
      const r = await saveList(ctx.store, original, list);
      const text = original === null ? `Added list ${list.name}. ${changedText(r.changes)}` : `List ${list.name}: ${changedText(r.changes)}`;
      return redirectWithFlash(reply, '/lists', { kind: 'ok', text, lines: r.changes });
    } catch (err) {
      const problems = problemsOf(err);
      if (!problems) throw err;
      return form(req, reply, original, typed(req), problems);
    }
  };

  app.get('/lists', async (req, reply) => {
    const { lists, users } = await ctx.store.config.snapshot();
    const userNames = new Set(users.map((u) => u.name));
    return renderPage(req, reply, 'lists', { title: 'Lists', lists: lists.map((l) => ({ l, members: l.members.map((m) => ({ m, user: userNames.has(m) })) })) });
  });

  app.get('/lists/new', async (req, reply) => form(req, reply, null, { name: '', address: '', type: 'distribution', members: '', membersOnly: false, noSelfCopy: false }));
  app.post('/lists', async (req, reply) => save(req, reply, null));

  app.get<Named>('/lists/:name', async (req, reply) => {
    const l = await ctx.store.config.list(req.params.name);
    if (!l) return reply.callNotFound();
    return form(req, reply, l.name, formOf(l));
  });
  app.post<Named>('/lists/:name', async (req, reply) => save(req, reply, req.params.name));

  app.get<Named>('/lists/:name/remove', async (req, reply) => {
    const l = await ctx.store.config.list(req.params.name);
    if (!l) return reply.callNotFound();
    const settings = await ctx.store.config.settings();
    const local = isLocal(l.address, settings.domains);
    return renderPage(req, reply, 'list-remove', { title: `Remove list ${l.name}`, l, local, unknownRecipient: settings.unknownRecipient, acceptUnknown: settings.smtp.acceptUnknownRecipients });
  });

  app.post<Named>('/lists/:name/remove', async (req, reply) => {
    const { name } = req.params;
    try {
      const r = await removeList(ctx.store, name);
      return redirectWithFlash(reply, '/lists', { kind: 'ok', text: `Removed list ${name}. Mail its members already got stays in their mailboxes.`, lines: r.changes });
    } catch (err) {
      const problems = problemsOf(err);
      if (!problems) throw err;
      return redirectWithFlash(reply, '/lists', { kind: 'error', text: `List ${name} was not removed.`, lines: problems });
    }
  });
}
