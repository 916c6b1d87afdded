/** The dashboard: the outbound queue and today's duplicates, services and ports, each collector's last run, recent problems. */
import type { FastifyInstance } from 'fastify';
import type { AdminContext } from '../app.js';
import { ageText, dashboardCounts } from '../dashboard-counts.js';
import { recentProblems } from '../log-reader.js';
import { renderPage } from '../render.js';

export function registerDashboard(app: FastifyInstance, ctx: AdminContext): void {
  app.get('/', async (req, reply) => {
    const { runtime, store } = ctx;
    const [snapshot, stored, counts, heldNow] = await Promise.all([store.config.snapshot(), store.config.generation(), dashboardCounts(store), store.held.list()]);
    const reports = new Map(runtime.collectors.lastReports().map((r) => [r.collector, r]));
    return renderPage(req, reply, 'dashboard', {
      title: 'Dashboard',
      running: runtime.settings(),
      generation: { running: runtime.configGeneration(), stored },
      services: runtime.services(),
      collectors: snapshot.collectors.map((c) => ({ name: c.name, enabled: c.enabled, report: reports.get(c.name) ?? null })),
      userCount: snapshot.users.length,
      counts,
      oldest: counts.queue.oldestAgeSeconds === null ? null : ageText(counts.queue.oldestAgeSeconds),
      heldNow: heldNow.length,
      problems: await recentProblems(runtime.dataDir),
    });
  });
}
