/**
 * Mail as it really arrives for each cause of duplicates: ISP trace headers, DKIM, MIME, mailers.
 * `arrive()` feeds a copy through the real pipeline with the source its door would record.
 */
import type { Source } from '../../src/store/interfaces.js';
import type { RoutingSpec } from '../../src/pipeline/route.js';
import type { TestContext } from '../helpers/context.js';
import { office } from '../collect/helpers.js';

/** The collector tests' office, with a list and the collectors the causes need. */
export const officeWithCollectors = `${office}lists:
  - { name: team, address: team@example.test, members: [bob, jane] }
collectors:
  - { name: bob-isp, protocol: pop3, host: pop.isp.example, user: bob@example.test, password: x, routing: { mode: headers } }
  - { name: jane-isp, protocol: pop3, host: pop.isp.example, user: jane@example.test, password: x, routing: { mode: headers } }
  - { name: office, protocol: pop3, host: pop.isp.example, user: office@example.test, password: x, routing: { mode: headers } }
  - { name: office-imap, protocol: imap, host: imap.isp.example, user: office@example.test, password: x, routing: { mode: headers } }
`;

/** A CRLF message from its lines; `body` is appended after the blank line. */
export function eml(lines: string[], body: string): Buffer {
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n' + body.replace(/\r?\n/g, '\r\n'));
}

const MIME_BODY = `--b1_5f2c
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Hello Bob, hello Jane,

please find the delivery schedule for December attached. Trucks arrive at 7:30.

Carol
--b1_5f2c
Content-Type: application/pdf; name="schedule-december.pdf"
Content-Disposition: attachment; filename="schedule-december.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSL0ZpbHRlci9GbGF0ZURl
--b1_5f2c--
`;

/** The supplier's message to Bob and Jane, as the ISP's MX stored it (trace lines vary per copy). */
export function supplierMail(opts: { messageId?: string; trace?: string[]; subject?: string } = {}): Buffer {
  return eml(
    [
      ...(opts.trace ?? []),
      'Return-Path: <carol@supplier.example>',
      'Received: from smtp.supplier.example (smtp.supplier.example [203.0.113.25])',
      '\tby mx1.isp.example (Postfix) with ESMTPS id 4Xk2Lm0Qz9z1;',
      '\tMon, 23 Nov 2026 09:14:02 +0100 (CET)',
      'DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=supplier.example; s=s1;',
      '\th=from:to:cc:subject:date:message-id; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;',
      '\tb=Qm9iIGFuZCBKYW5lIGdldCB0aGlzIG9uY2U=',
      'From: Carol Supplier <carol@supplier.example>',
      'To: Bob <bob@example.test>, Jane <jane@example.test>',
      `Subject: ${opts.subject ?? 'Delivery schedule December'}`,
      'Date: Mon, 23 Nov 2026 09:14:00 +0100',
      `Message-ID: ${opts.messageId ?? '<20261123081400.4471@supplier.example>'}`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1_5f2c"',
      'X-Mailer: PHPMailer 6.9.1 (https://github.com/PHPMailer/PHPMailer)',
    ],
    MIME_BODY,
  );
}

/** The source a collector session records (see collectorDetail in src/collect/fetched-message.ts). */
export function fromCollector(name: string, mailbox: string, uid: string, session: string, routing: 'user' | 'headers' = 'headers'): Source {
  return {
    kind: 'collector',
    name,
    remoteId: `${mailbox} ${uid}`,
    detail: { protocol: mailbox.split(':')[0], mailbox, uid, routing, session, sessionStartedAt: Date.now(), host: 'mail', pid: 4242 },
  };
}

export const headersRouting: RoutingSpec = { mode: 'headers', envelopeHeaders: ['Delivered-To', 'X-Original-To', 'Envelope-To', 'X-Envelope-To'] };

export async function arrive(ctx: TestContext, source: Source, routing: RoutingSpec, content: Buffer) {
  return ctx.pipeline.ingest({ source, routing, content: [content] });
}
