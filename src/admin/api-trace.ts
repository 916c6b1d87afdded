/**
 * The JSON API of the message trace and the logs (docs/api.md): the same service calls as the
 * pages (diagnose/trace.ts, log-reader.ts), so the API answers what the pages show.
 */
import type { FastifyInstance } from 'fastify';
import { searchTrace, traceMessage, traceSearch } from '../diagnose/trace.js';
import type { AdminContext } from './app.js';
import { readLog } from './log-reader.js';
import { logFilter, type LogQuery } from './pages/logs.js';
import { parseId, type IdParams } from './route-id.js';

export function registerTraceApi(app: FastifyInstance, ctx: AdminContext): void {
  app.get<{ Querystring: { q?: string; field?: string } }>('/api/trace', async (req) => ({
    messages: await searchTrace(ctx.store, traceSearch(req.query.q, req.query.field)),
  }));

  app.get<IdParams>('/api/trace/:id', async (req, reply) => {
    const id = parseId(req.params.id);
    const trace = id === null ? undefined : await traceMessage(ctx.store, id);
    if (!trace) return reply.code(404).send({ error: 'not_found', message: `no message #${req.params.id}` });
    return trace;
  });

  app.get<LogQuery>('/api/logs', async (req) => readLog(ctx.runtime.dataDir, logFilter(req.query)));
}
