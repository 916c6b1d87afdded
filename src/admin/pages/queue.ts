/** The outbound queue: messages waiting for the smarthost and those that bounced; retry now, delete (after a confirmation). */
import type { FastifyInstance } from 'fastify';
import type { AdminContext } from '../app.js';
import { redirectWithFlash, renderPage } from '../render.js';
import { parseId, type IdParams as Id } from '../route-id.js';

export function registerQueuePages(app: FastifyInstance, ctx: AdminContext): void {
  app.get('/queue', async (req, reply) => renderPage(req, reply, 'queue', { title: 'Outbound queue', rows: await ctx.store.outbound.list() }));

  app.post<Id>('/queue/:id/retry', async (req, reply) => {
    const id = parseId(req.params.id);
    if (id === null || !(await ctx.store.outbound.retryNow(id, Date.now()))) return redirectWithFlash(reply, '/queue', { kind: 'error', text: `No queued entry ${req.params.id}: it was sent, bounced or deleted meanwhile.` });
    ctx.log.info({ outbound: id, actor: req.admin!.user }, 'outbound entry set to retry now');
    return redirectWithFlash(reply, '/queue', { kind: 'ok', text: `${id}: will be retried at the next pass (within seconds).` });
  });

  app.get<Id>('/queue/:id/delete', async (req, reply) => {
    const id = parseId(req.params.id);
    const row = id === null ? undefined : await ctx.store.outbound.get(id);
    if (!row || row.state === 'sent') return reply.callNotFound();
    return renderPage(req, reply, 'queue-delete', { title: `Delete queue entry ${row.id}`, row });
  });

  app.post<Id>('/queue/:id/delete', async (req, reply) => {
    const id = parseId(req.params.id);
    if (id === null || !(await ctx.store.outbound.remove(id))) return redirectWithFlash(reply, '/queue', { kind: 'error', text: `No queue entry ${req.params.id}: it was deleted meanwhile.` });
    ctx.log.info({ outbound: id, actor: req.admin!.user }, 'outbound entry deleted');
    return redirectWithFlash(reply, '/queue', { kind: 'ok', text: `${id}: deleted from the queue. The sender was not told.` });
  });
}
