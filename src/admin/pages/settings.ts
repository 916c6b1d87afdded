/**
 * Settings: local domains, hostname, listeners and TLS, the relay (with "Test connection": the
 * doctor's relay check, step by step), duplicate detection (window and content-match policy).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { updateSettings, type ConfigDocument } from '../../config/edit.js';
import { testRelay } from '../../diagnose/doctor-probes.js';
import type { Settings } from '../../config/schema.js';
import type { AdminContext } from '../app.js';
import { field, lines, num } from '../form.js';
import { changedText, problemsOf } from '../outcome.js';
import { redirectWithFlash, renderPage } from '../render.js';

/** The listeners the page edits, in the order it shows them. */
export const LISTENERS = ['smtp', 'submission', 'pop3', 'pop3s', 'imap', 'imaps', 'admin'] as const;

type FormValues = Record<string, string>;

function valuesOf(s: Settings): FormValues {
  return {
    hostname: s.hostname,
    domains: s.domains.join('\n'),
    unknownRecipient: s.unknownRecipient,
    address: s.listen.address,
    ...Object.fromEntries(LISTENERS.map((l) => [l, String(s.listen[l])])),
    globalDays: String(s.duplicates.globalDays),
    contentMatch: s.duplicates.contentMatch,
    heldDays: String(s.duplicates.heldDays),
    tlsCert: s.tls?.cert ?? '',
    tlsKey: s.tls?.key ?? '',
    relayHost: s.relay?.host ?? '',
    relayPort: s.relay ? String(s.relay.port) : '',
    relaySecurity: s.relay?.security ?? 'starttls',
    relayUser: s.relay?.user ?? '',
  };
}

/** The TLS and relay fields into the document: blank fields remove the section; a blank password keeps the saved one. */
function tlsAndRelay(doc: ConfigDocument, b: unknown): void {
  const cert = field(b, 'tlsCert').trim();
  const key = field(b, 'tlsKey').trim();
  // One path without the other goes to the schema as missing, so its problem names tls.cert or tls.key.
  if (cert || key) doc.tls = { ...(cert ? { cert } : {}), ...(key ? { key } : {}) } as ConfigDocument['tls'];
  else delete doc.tls;
  const host = field(b, 'relayHost').trim();
  if (!host) {
    delete doc.relay;
    return;
  }
  const port = num(b, 'relayPort');
  const user = field(b, 'relayUser').trim();
  const password = field(b, 'relayPassword') || doc.relay?.password;
  doc.relay = {
    host,
    ...(port !== undefined ? { port } : {}),
    security: field(b, 'relaySecurity') as NonNullable<Settings['relay']>['security'],
    ...(user ? { user } : {}),
    ...(user && password ? { password } : {}),
  };
}

export function registerSettingsPages(app: FastifyInstance, ctx: AdminContext): void {
  const page = async (req: FastifyRequest, reply: FastifyReply, values: FormValues, problems: string[] = [], extra: Record<string, unknown> = {}) => {
    const s = await ctx.store.config.snapshot();
    const targets = [...s.users.map((u) => u.name), ...s.lists.map((l) => l.name)].sort();
    const relay = s.settings.relay;
    const hasRelayPassword = relay?.password !== undefined;
    return renderPage(req, reply, 'settings', { title: 'Settings', values, problems, targets, listeners: LISTENERS, hasRelayPassword, ...extra }, problems.length ? 400 : 200);
  };
  /** What the form posted, to show again (a refused save, or a relay test before saving). */
  const typed = async (b: unknown) => Object.fromEntries(Object.keys(valuesOf(await ctx.store.config.settings())).map((k) => [k, field(b, k)]));

  app.get('/settings', async (req, reply) => page(req, reply, valuesOf(await ctx.store.config.settings())));

  app.post('/settings', async (req, reply) => {
    const b = req.body;
    try {
      const r = await updateSettings(ctx.store, (doc) => {
        doc.hostname = field(b, 'hostname').trim();
        doc.domains = lines(b, 'domains');
        doc.unknownRecipient = field(b, 'unknownRecipient').trim();
        doc.listen = { ...doc.listen, address: field(b, 'address').trim(), ...Object.fromEntries(LISTENERS.map((l) => [l, num(b, l)])) };
        doc.duplicates = {
          ...doc.duplicates,
          globalDays: num(b, 'globalDays'),
          contentMatch: field(b, 'contentMatch') as Settings['duplicates']['contentMatch'],
          heldDays: num(b, 'heldDays'),
        };
        tlsAndRelay(doc, b);
      });
      return redirectWithFlash(reply, '/settings', { kind: 'ok', text: changedText(r.changes), lines: r.changes });
    } catch (err) {
      const problems = problemsOf(err);
      if (!problems) throw err;
      return page(req, reply, await typed(b), problems);
    }
  });

  // "Test connection" (a button of the settings form): tests the saved relay, keeps what was typed.
  app.post('/settings/relay-test', async (req, reply) => {
    const relayTest = await testRelay(await ctx.store.config.settings());
    return page(req, reply, await typed(req.body), [], { relayTest });
  });
}
