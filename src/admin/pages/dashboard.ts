/** The dashboard: services and ports, each collector's last run with its counts, recent problems. */
import type { FastifyInstance } from 'fastify';
import type { AdminContext } from '../app.js';
import { recentProblems } from '../log-reader.js';
import { renderPage } from '../render.js';

export function registerDashboard(app: FastifyInstance, ctx: AdminContext): void {
  app.get('/', async (req, reply) => {
    const { runtime, store } = ctx;
    const [snapshot, stored] = await Promise.all([store.config.snapshot(), store.config.generation()]);
    const reports = new Map(runtime.collectors.lastReports().map((r) => [r.collector, r]));
    return renderPage(req, reply, 'dashboard', {
      title: 'Dashboard',
      running: runtime.settings(),
      generation: { running: runtime.configGeneration(), stored },
      services: runtime.services(),
      collectors: snapshot.collectors.map((c) => ({ name: c.name, enabled: c.enabled, report: reports.get(c.name) ?? null })),
      userCount: snapshot.users.length,
      problems: await recentProblems(runtime.dataDir),
    });
  });
}
