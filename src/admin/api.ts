/**
 * The JSON API under /api (docs/api.md): the same operations as the pages, through the same
 * functions (config/edit.ts, the scheduler's runNow). Auth: POST /api/login gives a bearer token.
 * A refused edit answers 400 with `problems`, each naming its configuration key.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ApplyResult } from '../config/apply.js';
import { addUser, removeCollector, removeUser, saveCollector, updateSettings, updateUser, type CollectorInput } from '../config/edit.js';
import { UsageError } from '../errors.js';
import type { AdminContext } from './app.js';
import { countsJson, dashboardCounts } from './dashboard-counts.js';
import { checkAdminLogin } from './login.js';
import { problemsOf } from './outcome.js';
import { createSession } from './sessions.js';

type Named = { Params: { name: string } };
type Json = Record<string, unknown>;

export const obj = (body: unknown): Json => (body && typeof body === 'object' && !Array.isArray(body) ? (body as Json) : {});
export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
export const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** Runs an edit and answers { changes } or 400 { problems }. */
export async function edit(reply: FastifyReply, run: () => Promise<ApplyResult>): Promise<FastifyReply> {
  try {
    const r = await run();
    return reply.send({ changes: r.changes, notes: r.notes });
  } catch (err) {
    const problems = problemsOf(err);
    if (!problems) throw err;
    return reply.code(400).send({ error: 'invalid', problems });
  }
}

export function registerApi(app: FastifyInstance, ctx: AdminContext): void {
  const { store, runtime } = ctx;

  app.get('/api/health', { config: { public: true } }, async () => ({
    status: 'ok',
    pid: process.pid,
    hostname: runtime.settings().hostname,
    configGeneration: runtime.configGeneration(),
    services: runtime.services(),
  }));

  app.post('/api/login', { config: { public: true } }, async (req, reply) => {
    const b = obj(req.body);
    const r = await checkAdminLogin(ctx, req.ip, str(b.login), str(b.password));
    if (!r.ok) return reply.code(r.blocked ? 429 : 401).send({ error: r.blocked ? 'throttled' : 'unauthorized', message: r.blocked ? 'too many failed logins; wait 15 minutes' : 'wrong name or password, or not an administrator' });
    const { token, expiresAt } = await createSession(store, r.user, 'api');
    return { token, user: r.user, expiresAt: new Date(expiresAt).toISOString() };
  });
  app.post('/api/logout', async (req) => {
    await store.adminSessions.remove(req.admin!.tokenHash);
    return { ok: true };
  });

  app.get('/api/status', async () => ({
    configGeneration: { running: runtime.configGeneration(), stored: await store.config.generation() },
    services: runtime.services(),
    collectors: runtime.collectors.lastReports(),
    ...countsJson(await dashboardCounts(store)),
  }));

  app.get('/api/users', async () => (await store.users.list()).map((u) => ({ name: u.name, addresses: u.addresses, admin: u.admin, hasPassword: u.passwordHash !== null })));
  app.post('/api/users', async (req, reply) => {
    const b = obj(req.body);
    if (!str(b.password)) return reply.code(400).send({ error: 'invalid', problems: ['password: a new user needs a password'] });
    return edit(reply, () => addUser(store, { name: str(b.name), addresses: strings(b.addresses), admin: b.admin === true, password: str(b.password) }));
  });
  app.put<Named>('/api/users/:name', async (req, reply) => {
    const b = obj(req.body);
    const password = str(b.password);
    const res = await edit(reply, () => updateUser(store, req.params.name, { addresses: strings(b.addresses), admin: b.admin === true, ...(password ? { password } : {}) }));
    if (password && reply.statusCode === 200) await store.adminSessions.removeUser(req.params.name, req.admin!.tokenHash);
    return res;
  });
  app.delete<Named>('/api/users/:name', async (req, reply) => {
    if (req.params.name === req.admin!.user) return reply.code(400).send({ error: 'invalid', problems: ['you cannot remove the user you are logged in as'] });
    const res = await edit(reply, () => removeUser(store, req.params.name));
    if (reply.statusCode === 200) await store.adminSessions.removeUser(req.params.name);
    return res;
  });

  // Collectors are shown without their passwords, as `config export` does.
  app.get('/api/collectors', async () => {
    const reports = new Map(runtime.collectors.lastReports().map((r) => [r.collector, r]));
    return (await store.config.snapshot()).collectors.map(({ password, ...c }) => ({ ...c, hasPassword: password !== undefined, lastRun: reports.get(c.name) ?? null }));
  });
  app.post('/api/collectors', async (req, reply) => edit(reply, () => saveCollector(store, null, obj(req.body) as unknown as CollectorInput)));
  app.put<Named>('/api/collectors/:name', async (req, reply) => edit(reply, () => saveCollector(store, req.params.name, obj(req.body) as unknown as CollectorInput)));
  app.delete<Named>('/api/collectors/:name', async (req, reply) => edit(reply, () => removeCollector(store, req.params.name)));
  app.post<Named>('/api/collectors/:name/run', async (req, reply) => {
    const c = (await store.config.snapshot()).collectors.find((x) => x.name === req.params.name);
    if (!c) return reply.code(404).send({ error: 'not_found', message: `no collector named "${req.params.name}"` });
    return runtime.collectors.runNow(c, { dryRun: obj(req.body).dryRun === true });
  });

  app.get('/api/settings', async () => {
    const s = await store.config.settings();
    return s.relay ? { ...s, relay: { ...s.relay, password: undefined } } : s;
  });
  // A partial document: top-level keys replace, objects (listen, duplicates, ...) merge one level.
  app.patch('/api/settings', async (req, reply) =>
    edit(reply, () =>
      updateSettings(store, (doc) => {
        const d = doc as Json;
        for (const [k, v] of Object.entries(obj(req.body))) {
          if (['users', 'lists', 'collectors'].includes(k)) throw new UsageError(`${k}: not a setting (use /api/${k})`);
          const old = d[k];
          d[k] = v && typeof v === 'object' && !Array.isArray(v) && old && typeof old === 'object' ? { ...(old as Json), ...(v as Json) } : v;
        }
      }),
    ),
  );
}
