/** Logs: the server log, newest first, filtered by level, source (service or collector) and text. */
import type { FastifyInstance } from 'fastify';
import type { AdminContext } from '../app.js';
import { LOG_LEVELS, readLog, type LogFilter, type LogLevel } from '../log-reader.js';
import { renderPage } from '../render.js';
import { registerScript } from '../static-script.js';

export type LogQuery = { Querystring: { level?: string; source?: string; q?: string } };

/** The filter from a query string (the page's GET form, and /api/logs); unknown values are ignored. */
export function logFilter(query: LogQuery['Querystring']): LogFilter & { minLevel: LogLevel } {
  const level = LOG_LEVELS.find((l) => l === query.level) ?? 'info';
  return { minLevel: level, source: query.source || undefined, text: query.q?.trim() || undefined, limit: 200 };
}

export function registerLogsPage(app: FastifyInstance, ctx: AdminContext): void {
  registerScript(app, 'logs-tail.js');
  app.get<LogQuery>('/logs', async (req, reply) => {
    const filter = logFilter(req.query);
    const { entries, sources } = await readLog(ctx.runtime.dataDir, filter);
    return renderPage(req, reply, 'logs', {
      title: 'Logs',
      filter: { level: filter.minLevel, source: filter.source ?? '', q: filter.text ?? '' },
      levels: LOG_LEVELS,
      // The chosen source stays offered even when the lines read no longer mention it.
      sources: [...new Set([...sources, ...(filter.source ? [filter.source] : [])])].sort(),
      entries,
    });
  });
}
