/** Shared setup for collector tests: a Postroom data dir whose collectors point at test servers. */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import pino from 'pino';
import { runCollector } from '../../src/collect/run-collector.js';
import type { SessionOptions } from '../../src/collect/pop3-session.js';
import type { TestContext } from '../helpers/context.js';

export const office = `hostname: mail.example.test
domains: [example.test]
unknownRecipient: postmaster
users:
  - { name: postmaster, addresses: [postmaster@example.test], admin: true }
  - { name: bob, addresses: [bob@example.test] }
  - { name: jane, addresses: [jane@example.test] }
`;

export function collectorYaml(c: Record<string, unknown>): string {
  return `  - ${JSON.stringify({ security: 'none', host: '127.0.0.1', timeoutSeconds: 5, ...c })}\n`;
}

export async function collect(ctx: TestContext, name: string, opts: Partial<SessionOptions> = {}) {
  const c = (await ctx.store.config.snapshot()).collectors.find((x) => x.name === name);
  if (!c) throw new Error(`no collector ${name}`);
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  return runCollector({ store: ctx.store, pipeline: ctx.pipeline, dataDir: ctx.dataDir, log }, c, { dryRun: false, ...opts });
}

/** Subjects in a user's folder, sorted. */
export async function subjects(ctx: TestContext, user: string, folder = 'INBOX'): Promise<string[]> {
  const box = (await ctx.store.mailboxes.list(user)).find((b) => b.name === folder)!;
  return (await ctx.store.mailboxes.messages(box.id)).map((m) => m.subject ?? '').sort();
}

/** Messages still in a Dovecot Maildir (new/ and cur/). */
export async function onServer(maildir: string): Promise<number> {
  let n = 0;
  for (const sub of ['new', 'cur']) n += (await readdir(path.join(maildir, sub)).catch(() => [])).length;
  return n;
}

export function mail(opts: { subject: string; to?: string; id?: string | null; envelope?: string[]; body?: string }): Buffer {
  const lines = [
    ...(opts.envelope ?? []),
    'From: Alice <alice@remote.test>',
    `To: ${opts.to ?? 'bob@example.test'}`,
    `Subject: ${opts.subject}`,
    'Date: Mon, 23 Nov 2026 10:00:00 +0000',
    ...(opts.id === null ? [] : [`Message-ID: <${opts.id ?? opts.subject.replace(/\W+/g, '-')}@remote.test>`]),
  ];
  return Buffer.from(lines.join('\n') + '\n\n' + (opts.body ?? `Body of ${opts.subject}\n`));
}
