/** Settings: local domains, hostname, listeners, duplicate detection (window and content-match policy). */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { updateSettings } from '../../config/edit.js';
import type { Settings } from '../../config/schema.js';
import type { AdminContext } from '../app.js';
import { field, lines, num } from '../form.js';
import { changedText, problemsOf } from '../outcome.js';
import { redirectWithFlash, renderPage } from '../render.js';

/** The listeners the page edits, in the order it shows them. */
export const LISTENERS = ['smtp', 'submission', 'pop3', 'pop3s', 'imap', 'imaps', 'admin'] as const;

type FormValues = Record<string, string>;

function valuesOf(s: Settings): FormValues {
  return {
    hostname: s.hostname,
    domains: s.domains.join('\n'),
    unknownRecipient: s.unknownRecipient,
    address: s.listen.address,
    ...Object.fromEntries(LISTENERS.map((l) => [l, String(s.listen[l])])),
    globalDays: String(s.duplicates.globalDays),
    contentMatch: s.duplicates.contentMatch,
    heldDays: String(s.duplicates.heldDays),
  };
}

export function registerSettingsPages(app: FastifyInstance, ctx: AdminContext): void {
  const page = async (req: FastifyRequest, reply: FastifyReply, values: FormValues, problems: string[] = []) => {
    const s = await ctx.store.config.snapshot();
    const targets = [...s.users.map((u) => u.name), ...s.lists.map((l) => l.name)].sort();
    return renderPage(req, reply, 'settings', { title: 'Settings', values, problems, targets, listeners: LISTENERS }, problems.length ? 400 : 200);
  };

  app.get('/settings', async (req, reply) => page(req, reply, valuesOf(await ctx.store.config.settings())));

  app.post('/settings', async (req, reply) => {
    const b = req.body;
    try {
      const r = await updateSettings(ctx.store, (doc) => {
        doc.hostname = field(b, 'hostname').trim();
        doc.domains = lines(b, 'domains');
        doc.unknownRecipient = field(b, 'unknownRecipient').trim();
        doc.listen = { ...doc.listen, address: field(b, 'address').trim(), ...Object.fromEntries(LISTENERS.map((l) => [l, num(b, l)])) };
        doc.duplicates = {
          ...doc.duplicates,
          globalDays: num(b, 'globalDays'),
          contentMatch: field(b, 'contentMatch') as Settings['duplicates']['contentMatch'],
          heldDays: num(b, 'heldDays'),
        };
      });
      return redirectWithFlash(reply, '/settings', { kind: 'ok', text: changedText(r.changes), lines: r.changes });
    } catch (err) {
      const problems = problemsOf(err);
      if (!problems) throw err;
      const typed = Object.fromEntries(Object.keys(valuesOf(await ctx.store.config.settings())).map((k) => [k, field(b, k)]));
      return page(req, reply, typed, problems);
    }
  });
}
