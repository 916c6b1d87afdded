/**
 * Mail collectors: list with each one's last run, add/edit (General, Routing, Duplicates & leave
 * on server), remove, Run now and the routing dry run: the same runCollector as `postroom collect`,
 * through the server's scheduler so a run counts as the collector's last run.
 *
 * Run now without JavaScript posts and waits for the session; with it, collector-run.js posts to
 * /start (answers at once) and polls /progress (the scheduler's live counts) until it finishes.
 * The last session's log is its own page (/collectors/NAME/log).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { formatReport } from '../../collect/session-report.js';
import { removeCollector, saveCollector, type CollectorInput } from '../../config/edit.js';
import { collectorPort, defaultEnvelopeHeaders, type CollectorConfig } from '../../config/schema.js';
import type { AdminContext } from '../app.js';
import { checked, field, lines, num } from '../form.js';
import { changedText, problemsOf } from '../outcome.js';
import { redirectWithFlash, renderPage } from '../render.js';
import { registerScript } from '../static-script.js';

type Named = { Params: { name: string } };

/** The form's fields as the inputs show them (strings and checkboxes). */
type FormValues = Record<string, string | boolean>;

const FIELDS = ['name', 'protocol', 'host', 'port', 'security', 'user', 'folder', 'intervalSeconds', 'timeoutSeconds', 'routingMode', 'target', 'envelopeHeaders', 'unknown', 'leaveOnServerDays'];
const BOXES = ['enabled', 'verifyCertificate', 'removeDuplicates'];

function valuesOf(c: CollectorConfig): FormValues {
  return {
    name: c.name,
    protocol: c.protocol,
    host: c.host,
    port: c.port === undefined ? '' : String(c.port),
    security: c.security,
    user: c.user,
    folder: c.folder,
    intervalSeconds: String(c.intervalSeconds),
    timeoutSeconds: String(c.timeoutSeconds),
    routingMode: c.routing.mode,
    target: c.routing.mode === 'user' ? c.routing.target : '',
    envelopeHeaders: (c.routing.mode === 'headers' ? c.routing.envelopeHeaders : defaultEnvelopeHeaders).join('\n'),
    unknown: c.routing.mode === 'headers' ? (c.routing.unknown ?? '') : '',
    leaveOnServerDays: String(c.leaveOnServerDays),
    enabled: c.enabled,
    verifyCertificate: c.verifyCertificate,
    removeDuplicates: c.removeDuplicates,
    hasPassword: c.password !== undefined,
  };
}

const blank: FormValues = {
  ...Object.fromEntries(FIELDS.map((f) => [f, ''])),
  protocol: 'pop3',
  security: 'tls',
  folder: 'INBOX',
  intervalSeconds: '300',
  timeoutSeconds: '60',
  routingMode: 'user',
  envelopeHeaders: defaultEnvelopeHeaders.join('\n'),
  leaveOnServerDays: '0',
  enabled: true,
  verifyCertificate: true,
  removeDuplicates: true,
  hasPassword: false,
};

function typed(body: unknown, hasPassword: boolean): FormValues {
  return { ...Object.fromEntries(FIELDS.map((f) => [f, field(body, f)])), ...Object.fromEntries(BOXES.map((b) => [b, checked(body, b)])), hasPassword };
}

/** The form as the configuration file would write it; the schema then checks every key. */
function collectorInput(body: unknown): CollectorInput {
  const password = field(body, 'password');
  const port = num(body, 'port');
  const unknown = field(body, 'unknown').trim();
  return {
    name: field(body, 'name').trim(),
    protocol: field(body, 'protocol') as CollectorInput['protocol'],
    host: field(body, 'host').trim(),
    ...(port !== undefined ? { port } : {}),
    security: field(body, 'security') as CollectorInput['security'],
    user: field(body, 'user').trim(),
    ...(password ? { password } : {}),
    folder: field(body, 'folder').trim() || 'INBOX',
    intervalSeconds: num(body, 'intervalSeconds'),
    timeoutSeconds: num(body, 'timeoutSeconds'),
    enabled: checked(body, 'enabled'),
    verifyCertificate: checked(body, 'verifyCertificate'),
    routing:
      field(body, 'routingMode') === 'headers'
        ? { mode: 'headers', envelopeHeaders: lines(body, 'envelopeHeaders'), ...(unknown ? { unknown } : {}) }
        : { mode: 'user', target: field(body, 'target').trim() },
    leaveOnServerDays: num(body, 'leaveOnServerDays'),
    removeDuplicates: checked(body, 'removeDuplicates'),
  };
}

export function registerCollectorPages(app: FastifyInstance, ctx: AdminContext): void {
  const find = async (name: string) => (await ctx.store.config.snapshot()).collectors.find((c) => c.name === name);
  const form = async (req: FastifyRequest, reply: FastifyReply, original: string | null, values: FormValues, problems: string[] = []) => {
    const s = await ctx.store.config.snapshot();
    const targets = [...s.users.map((u) => u.name), ...s.lists.map((l) => l.name)].sort();
    const title = original === null ? 'Add a mail collector' : `Mail collector ${original}`;
    return renderPage(req, reply, 'collector-form', { title, original, values, problems, targets, unknownRecipient: s.settings.unknownRecipient }, problems.length ? 400 : 200);
  };
  const save = async (req: FastifyRequest, reply: FastifyReply, original: string | null) => {
    const input = collectorInput(req.body);
    try {
      const r = await saveCollector(ctx.store, original, input);
      return redirectWithFlash(reply, '/collectors', { kind: 'ok', text: `Collector ${input.name}: ${changedText(r.changes)}`, lines: r.changes });
    } catch (err) {
      const problems = problemsOf(err);
      if (!problems) throw err;
      const old = original === null ? undefined : await find(original);
      return form(req, reply, original, typed(req.body, old?.password !== undefined), problems);
    }
  };

  app.get('/collectors', async (req, reply) => {
    const reports = new Map(ctx.runtime.collectors.lastReports().map((r) => [r.collector, r]));
    const collectors = (await ctx.store.config.snapshot()).collectors.map((c) => ({ c, port: collectorPort(c), report: reports.get(c.name) ?? null, progress: ctx.runtime.collectors.progress(c.name) }));
    return renderPage(req, reply, 'collectors', { title: 'Mail collectors', collectors });
  });
  app.get('/collectors/new', async (req, reply) => form(req, reply, null, blank));
  app.post('/collectors', async (req, reply) => save(req, reply, null));
  app.get<Named>('/collectors/:name', async (req, reply) => {
    const c = await find(req.params.name);
    return c ? form(req, reply, c.name, valuesOf(c)) : reply.callNotFound();
  });
  app.post<Named>('/collectors/:name', async (req, reply) => save(req, reply, req.params.name));

  app.post<Named>('/collectors/:name/run', async (req, reply) => {
    const c = await find(req.params.name);
    if (!c) return reply.callNotFound();
    const report = await ctx.runtime.collectors.runNow(c, { dryRun: false });
    if (report.busy) return redirectWithFlash(reply, '/collectors', { kind: 'error', text: `${c.name}: another session is collecting from this mailbox right now; try again in a moment.` });
    return redirectWithFlash(reply, '/collectors', { kind: report.errors.length ? 'error' : 'ok', text: formatReport(report) });
  });
  // The script's side of Run now: start without waiting (a session already running is not started
  // again, its progress is shown), then poll. JSON, but behind the cookie login and CSRF like the forms.
  app.post<Named>('/collectors/:name/start', async (req, reply) => {
    const c = await find(req.params.name);
    if (!c) return reply.code(404).send({ error: 'not_found', message: `no collector named "${req.params.name}"` });
    const { started } = ctx.runtime.collectors.startNow(c);
    return { started, progress: ctx.runtime.collectors.progress(c.name) };
  });
  app.get<Named>('/collectors/:name/progress', async (req, reply) => {
    if (!(await find(req.params.name))) return reply.code(404).send({ error: 'not_found', message: `no collector named "${req.params.name}"` });
    return reply.header('cache-control', 'no-store').send(ctx.runtime.collectors.progress(req.params.name));
  });
  app.get<Named>('/collectors/:name/log', async (req, reply) => {
    const c = await find(req.params.name);
    if (!c) return reply.callNotFound();
    const log = ctx.runtime.collectors.sessionLog(c.name);
    return renderPage(req, reply, 'collector-log', { title: `Last session: ${c.name}`, c, log, progress: ctx.runtime.collectors.progress(c.name) });
  });
  registerScript(app, 'collector-run.js');

  app.post<Named>('/collectors/:name/dry-run', async (req, reply) => {
    const c = await find(req.params.name);
    if (!c) return reply.callNotFound();
    const report = await ctx.runtime.collectors.runNow(c, { dryRun: true });
    return renderPage(req, reply, 'collector-dry-run', { title: `Routing dry run: ${c.name}`, c, report });
  });

  app.get<Named>('/collectors/:name/remove', async (req, reply) => {
    const c = await find(req.params.name);
    return c ? renderPage(req, reply, 'collector-remove', { title: `Remove collector ${c.name}`, c }) : reply.callNotFound();
  });
  app.post<Named>('/collectors/:name/remove', async (req, reply) => {
    try {
      const r = await removeCollector(ctx.store, req.params.name);
      return redirectWithFlash(reply, '/collectors', { kind: 'ok', text: `Removed collector ${req.params.name}. Mail it already delivered stays where it is.`, lines: r.changes });
    } catch (err) {
      const problems = problemsOf(err);
      if (!problems) throw err;
      return redirectWithFlash(reply, '/collectors', { kind: 'error', text: 'Nothing was removed.', lines: problems });
    }
  });
}
