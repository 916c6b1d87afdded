/**
 * The JSON API of the message trace and the logs (docs/api.md): the same service calls as the
 * pages (diagnose/trace.ts, log-reader.ts), so the API answers what the pages show.
 */
import type { FastifyInstance } from 'fastify';
import { searchTrace, traceMessage, traceSearch } from '../diagnose/trace.js';
import type { AdminContext } from './app.js';
import { readLog } from './log-reader.js';
import { logFilter, type LogQuery } from './pages/logs.js';

export function registerTraceApi(app: FastifyInstance, ctx: AdminContext): void {
  app.get<{ Querystring: { q?: string; field?: string } }>('/api/trace', async (req) => ({
    messages: await searchTrace(ctx.store, traceSearch(req.query.q, req.query.field)),
  }));

  app.get<{ Params: { id: string } }>('/api/trace/:id', async (req, reply) => {
    const id = Number(req.params.id);
    const trace = Number.isInteger(id) && id > 0 ? await traceMessage(ctx.store, id) : undefined;
    if (!trace) return reply.code(404).send({ error: 'not_found', message: `no message #${req.params.id}` });
    return trace;
  });

  app.get<LogQuery>('/api/logs', async (req) => readLog(ctx.runtime.dataDir, logFilter(req.query)));
}
