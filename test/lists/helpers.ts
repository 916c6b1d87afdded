/** Shared by the list tests: a data directory configured from YAML, a smtplib sender, counting copies. */
import pino from 'pino';
import { applyConfig } from '../../src/config/apply.js';
import { parseConfigText } from '../../src/config/load.js';
import { openDataDir } from '../../src/server/data-dir.js';
import { python } from '../smtp/harness.js';

/** Applies `yaml` to the data directory `dir` (creating it) as `postroom config apply` would. */
export async function configure(dir: string, yaml: string): Promise<void> {
  const ctx = await openDataDir(dir, pino({ level: 'silent' }));
  try {
    const { config, given } = parseConfigText(yaml, 'test.yaml');
    await applyConfig(ctx.store, config, { file: 'test.yaml', prune: false, dryRun: false, unknownRecipientGiven: 'unknownRecipient' in given });
  } finally {
    await ctx.close();
  }
}

/** For each user, the blobs in their INBOX (one entry per copy); opened while no server runs. */
export async function inboxBlobs(dir: string, users: string[]): Promise<Map<string, string[]>> {
  const ctx = await openDataDir(dir, pino({ level: 'silent' }));
  try {
    const out = new Map<string, string[]>();
    for (const u of users) {
      const box = (await ctx.store.mailboxes.list(u)).find((b) => b.name === 'INBOX');
      out.set(u, box ? (await ctx.store.mailboxes.messages(box.id)).map((m) => m.blob) : []);
    }
    return out;
  } finally {
    await ctx.close();
  }
}

/**
 * Sends one message with Python's smtplib; prints "sent" the moment the 250 after DATA is in (so
 * a caller watching stdout can act right after it). Returns smtplib's refusals, if any.
 */
export const SMTPLIB_SEND = `
import json, os, smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(os.environ['PORT']), timeout=20)
try:
    refused = s.sendmail(os.environ['FROM'], os.environ['TO'].split(','), os.environ['MSG'].encode())
    print('sent', flush=True)
    print(json.dumps({'ok': True, 'refused': {k: [v[0], v[1].decode()] for k, v in refused.items()}}), flush=True)
except smtplib.SMTPRecipientsRefused as e:
    print(json.dumps({'ok': False, 'refused': {k: [v[0], v[1].decode()] for k, v in e.recipients.items()}}), flush=True)
except smtplib.SMTPException as e:
    print(json.dumps({'ok': False, 'error': str(e)}), flush=True)
s.close()
`;

export function sendWithSmtplib(port: number, from: string, to: string[], msg: string) {
  return python<{ ok: boolean; refused?: Record<string, [number, string]>; error?: string }>(SMTPLIB_SEND, { PORT: String(port), FROM: from, TO: to.join(','), MSG: msg });
}

export function message(o: { from: string; to: string; messageId: string; subject?: string; extra?: string }): string {
  return `From: ${o.from}\r\nTo: ${o.to}\r\nSubject: ${o.subject ?? 'hello'}\r\nMessage-ID: ${o.messageId}\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\n${o.extra ?? ''}\r\nHello list.\r\n`;
}

/** The SMTP service in process over a fresh data directory configured with `yaml` (+ listen ports). */
export async function listHarness(yaml: string) {
  const { smtpService } = await import('../../src/smtp/smtp-service.js');
  const { testContext } = await import('../helpers/context.js');
  const { selfSignedCert } = await import('../fixtures/self-signed.js');
  const { freePort } = await import('../helpers/cli.js');
  const port = await freePort();
  const ctx = await testContext(`${yaml}\nlisten: { address: 127.0.0.1, smtp: ${port}, submission: 0, pop3: 0, imap: 0, admin: 0 }\n`);
  const cert = await selfSignedCert();
  const service = smtpService(ctx, { cert: Buffer.from(cert.cert), key: Buffer.from(cert.key), certPath: '', keyPath: '', generated: false });
  await service.start(await ctx.store.config.settings());
  return {
    ctx,
    service,
    port,
    async close() {
      await service.stop();
      await ctx.cleanup();
    },
  };
}
