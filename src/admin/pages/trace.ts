/** Message trace: search the last days' messages (GET form), and each message's timeline. */
import type { FastifyInstance } from 'fastify';
import { searchTrace, traceMessage, traceSearch, TRACE_DAYS } from '../../diagnose/trace.js';
import type { AdminContext } from '../app.js';
import { renderPage } from '../render.js';
import { parseId, type IdParams } from '../route-id.js';

type Query = { Querystring: { q?: string; field?: string } };

/** The search fields as the form offers them. */
export const FIELD_LABELS = { any: 'Any field', from: 'Sender', to: 'Recipient', subject: 'Subject', messageId: 'Message-ID' } as const;

export function registerTracePages(app: FastifyInstance, ctx: AdminContext): void {
  app.get<Query>('/trace', async (req, reply) => {
    const search = traceSearch(req.query.q, req.query.field);
    return renderPage(req, reply, 'trace', {
      title: 'Message trace',
      q: typeof req.query.q === 'string' ? req.query.q : '',
      field: search.field,
      fields: FIELD_LABELS,
      days: TRACE_DAYS,
      results: await searchTrace(ctx.store, search),
    });
  });

  app.get<IdParams>('/trace/:id', async (req, reply) => {
    const id = parseId(req.params.id);
    const trace = id === null ? undefined : await traceMessage(ctx.store, id);
    if (!trace) return renderPage(req, reply, 'error', { title: 'Not found', message: `There is no message #${req.params.id}.` }, 404);
    return renderPage(req, reply, 'trace-message', { title: `Message #${id}`, trace });
  });
}
