/**
 * /api/duplicates, /api/queue and /api/doctor (docs/api.md): the Possible duplicates, Queue and
 * Doctor pages' operations for scripts, through the same store calls and services as the pages
 * (releaseHeldCopy, the outbound store, runDoctor). Unknown ids answer 404, never a silent no-op.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { runDoctor } from '../diagnose/doctor.js';
import { diagnoseHeldCopy } from '../diagnose/gather.js';
import { heldExpiresAt } from '../pipeline/held-expiry.js';
import { releaseHeldCopy } from '../pipeline/held-release.js';
import type { AdminContext } from './app.js';
import { parseId, type IdParams as Id } from './route-id.js';

const notFound = (reply: FastifyReply, message: string) => reply.code(404).send({ error: 'not_found', message });

export function registerOperationsApi(app: FastifyInstance, ctx: AdminContext): void {
  const { store, log } = ctx;

  app.get<{ Querystring: { user?: string } }>('/api/duplicates', async (req) => {
    const [held, settings] = await Promise.all([store.held.list(req.query.user || undefined), store.config.settings()]);
    const { heldDays } = settings.duplicates;
    return {
      heldDays,
      held: held.map((h) => {
        const expiresAt = heldExpiresAt(h.heldAt, heldDays);
        return { ...h, heldAt: new Date(h.heldAt).toISOString(), expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString() };
      }),
    };
  });
  app.get<Id>('/api/duplicates/:id/diagnose', async (req, reply) => {
    const id = parseId(req.params.id);
    const held = id === null ? undefined : await store.held.get(id);
    const d = held && (await diagnoseHeldCopy(store, ctx.blobs, held));
    return d ?? notFound(reply, `no held copy #${req.params.id}`);
  });
  app.post<Id>('/api/duplicates/:id/release', async (req, reply) => {
    const id = parseId(req.params.id);
    const r = id === null ? undefined : await releaseHeldCopy(store, log, id, `admin (${req.admin!.user})`);
    if (!r) return notFound(reply, `no held copy #${req.params.id}: never held, or released or expired already`);
    return { released: id, user: r.held.user, mailbox: 'INBOX', uid: r.uid };
  });

  app.get('/api/queue', async () => ({ entries: await store.outbound.list() }));
  app.post<Id>('/api/queue/:id/retry', async (req, reply) => {
    const id = parseId(req.params.id);
    if (id === null || !(await store.outbound.retryNow(id, Date.now()))) return notFound(reply, `no queued entry ${req.params.id}: sent, bounced or deleted already`);
    log.info({ outbound: id, actor: req.admin!.user }, 'outbound entry set to retry now');
    return { retry: id };
  });
  app.delete<Id>('/api/queue/:id', async (req, reply) => {
    const id = parseId(req.params.id);
    if (id === null || !(await store.outbound.remove(id))) return notFound(reply, `no queue entry ${req.params.id}`);
    log.info({ outbound: id, actor: req.admin!.user }, 'outbound entry deleted');
    return { deleted: id };
  });

  // `?network=1` adds the relay check (it connects to the smarthost; no mail is sent).
  app.get<{ Querystring: { network?: string } }>('/api/doctor', async (req) => runDoctor(store, ctx.runtime.dataDir, { network: req.query.network === '1' || req.query.network === 'true' }));
}
