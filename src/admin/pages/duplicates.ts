/** Possible duplicates: the copies held per user with why each was held, their diagnosis, and Release (to the INBOX). */
import type { FastifyInstance } from 'fastify';
import { diagnoseHeldCopy } from '../../diagnose/gather.js';
import { heldExpiresAt } from '../../pipeline/held-expiry.js';
import { releaseHeldCopy } from '../../pipeline/held-release.js';
import type { AdminContext } from '../app.js';
import { redirectWithFlash, renderPage } from '../render.js';
import { parseId, type IdParams as Id } from '../route-id.js';

export function registerDuplicatePages(app: FastifyInstance, ctx: AdminContext): void {
  app.get('/duplicates', async (req, reply) => {
    const [held, settings] = await Promise.all([ctx.store.held.list(), ctx.store.config.settings()]);
    const { heldDays } = settings.duplicates;
    // Grouped per user, oldest first within each (the order the store lists them).
    const users = new Map<string, typeof held>();
    for (const h of held) users.set(h.user, [...(users.get(h.user) ?? []), h]);
    return renderPage(req, reply, 'duplicates', {
      title: 'Possible duplicates',
      count: held.length,
      users: [...users].map(([user, copies]) => ({ user, copies: copies.map((h) => ({ ...h, expiresAt: heldExpiresAt(h.heldAt, heldDays) })) })),
      heldDays,
    });
  });

  // Why it was held: the same diagnosis as `postroom diagnose`, against the copy it was matched to.
  app.get<Id>('/duplicates/:id/diagnose', async (req, reply) => {
    const id = parseId(req.params.id);
    const held = id === null ? undefined : await ctx.store.held.get(id);
    const d = held && (await diagnoseHeldCopy(ctx.store, ctx.blobs, held));
    if (!held || !d) return redirectWithFlash(reply, '/duplicates', { kind: 'error', text: `No held copy #${req.params.id}: it was released or expired meanwhile.` });
    return renderPage(req, reply, 'duplicate-diagnosis', { title: `Why #${id} was held`, id, user: held.user, ingestId: held.ingestId, d });
  });

  app.post<Id>('/duplicates/:id/release', async (req, reply) => {
    const id = parseId(req.params.id);
    const r = id !== null ? await releaseHeldCopy(ctx.store, ctx.log, id, `admin (${req.admin!.user})`) : undefined;
    if (!r) return redirectWithFlash(reply, '/duplicates', { kind: 'error', text: `No held copy #${req.params.id}: it was released or expired meanwhile.` });
    return redirectWithFlash(reply, '/duplicates', { kind: 'ok', text: `Released #${id} to ${r.held.user}'s INBOX as UID ${r.uid}: ${r.held.subject ?? '(no subject)'}` });
  });
}
