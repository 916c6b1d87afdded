/** Possible duplicates: the copies held per user with why each was held, and Release (to the INBOX). */
import type { FastifyInstance } from 'fastify';
import { releaseHeldCopy } from '../../pipeline/held-release.js';
import type { AdminContext } from '../app.js';
import { redirectWithFlash, renderPage } from '../render.js';

type Id = { Params: { id: string } };

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
      users: [...users].map(([user, copies]) => ({ user, copies: copies.map((h) => ({ ...h, expiresAt: heldDays > 0 ? h.heldAt + heldDays * 86_400_000 : null })) })),
      heldDays,
    });
  });

  app.post<Id>('/duplicates/:id/release', async (req, reply) => {
    const id = Number(req.params.id);
    const r = Number.isInteger(id) && id > 0 ? await releaseHeldCopy(ctx.store, ctx.log, id, `admin (${req.admin!.user})`) : undefined;
    if (!r) return redirectWithFlash(reply, '/duplicates', { kind: 'error', text: `No held copy #${req.params.id}: it was released or expired meanwhile.` });
    return redirectWithFlash(reply, '/duplicates', { kind: 'ok', text: `Released #${id} to ${r.held.user}'s INBOX as UID ${r.uid}: ${r.held.subject ?? '(no subject)'}` });
  });
}
