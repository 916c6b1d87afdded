/**
 * JSON API for collector sessions and the relay test (docs/api.md): start a session without waiting
 * and follow its progress, read the last session's log, test the relay. The same scheduler and
 * relay check as the pages (pages/collectors.ts, pages/settings.ts) and `postroom doctor`.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { testRelay } from '../diagnose/doctor-probes.js';
import type { AdminContext } from './app.js';

type Named = { Params: { name: string } };

export function registerRunApi(app: FastifyInstance, ctx: AdminContext): void {
  const { store, runtime } = ctx;
  const find = async (name: string) => (await store.config.snapshot()).collectors.find((c) => c.name === name);
  const notFound = (reply: FastifyReply, name: string) => reply.code(404).send({ error: 'not_found', message: `no collector named "${name}"` });

  // 202: the session runs on; poll .../progress. A session already running is not started again.
  app.post<Named>('/api/collectors/:name/start', async (req, reply) => {
    const c = await find(req.params.name);
    if (!c) return notFound(reply, req.params.name);
    const { started } = runtime.collectors.startNow(c);
    return reply.code(202).send({ started, progress: runtime.collectors.progress(c.name) });
  });
  app.get<Named>('/api/collectors/:name/progress', async (req, reply) => {
    if (!(await find(req.params.name))) return notFound(reply, req.params.name);
    return runtime.collectors.progress(req.params.name);
  });
  app.get<Named>('/api/collectors/:name/log', async (req, reply) => {
    if (!(await find(req.params.name))) return notFound(reply, req.params.name);
    const log = runtime.collectors.sessionLog(req.params.name);
    return log ?? { running: false, lines: [], dropped: 0, droppedAt: 0 };
  });

  // Tests the saved relay: connect, EHLO, STARTTLS and AUTH as configured, QUIT. No mail is sent.
  app.post('/api/settings/relay-test', async () => {
    const { finding, steps } = await testRelay(await store.config.settings());
    return { ok: finding.severity === 'ok', message: finding.message, fix: finding.fix, steps };
  });
}
