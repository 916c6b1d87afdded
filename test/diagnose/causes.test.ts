/**
 * One realistic fixture per cause of duplicates: the copies arrive through the real pipeline as
 * their door would bring them; each test asserts the delivery outcome and the diagnosis.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diagnoseCopies, formatDiagnosis } from '../../src/diagnose/diagnose.js';
import { normalizeMessageId } from '../../src/pipeline/header-fields.js';
import { copiesByMessageId, diagnoseContext } from '../../src/diagnose/gather.js';
import type { Source } from '../../src/store/interfaces.js';
import { testContext, type TestContext } from '../helpers/context.js';
import { arrive, eml, fromCollector, headersRouting, officeWithCollectors, supplierMail } from './fixtures.js';

const BOB_BOX = 'pop3://bob@example.test@pop.isp.example:995';
const JANE_BOX = 'pop3://jane@example.test@pop.isp.example:995';
const OFFICE_BOX = 'pop3://office@example.test@pop.isp.example:995';
const OFFICE_IMAP = 'imap://office@example.test@imap.isp.example:993/INBOX';
const SUPPLIER_ID = '20261123081400.4471@supplier.example';

async function withOffice(fn: (ctx: TestContext) => Promise<void>, extra = '') {
  const ctx = await testContext(officeWithCollectors + extra);
  try {
    await fn(ctx);
  } finally {
    await ctx.cleanup();
  }
}

async function diagnose(ctx: TestContext, user: string, raw: string) {
  const messageId = normalizeMessageId(raw)!;
  const copies = await copiesByMessageId(ctx.store, ctx.blobs, user, messageId);
  return diagnoseCopies(user, `Message-ID <${messageId}>`, copies, await diagnoseContext(ctx.store));
}

describe('diagnose: one fixture per cause', () => {
  it('one ISP mailbox per user, collected with header routing', () =>
    withOffice(async (ctx) => {
      // The ISP adds no Delivered-To: header routing falls back to To/Cc, which name both people.
      await arrive(ctx, fromCollector('bob-isp', BOB_BOX, '000012ab4f', 's-bob-1'), headersRouting, supplierMail());
      const second = await arrive(ctx, fromCollector('jane-isp', JANE_BOX, '00000e91c2', 's-jane-1'), headersRouting, supplierMail());
      assert.deepEqual(second.results.map((r) => [r.user, r.outcome]).sort(), [['bob', 'suppressed'], ['jane', 'suppressed']]);
      const d = await diagnose(ctx, 'jane', SUPPLIER_ID);
      assert.equal(d.findings[0]!.cause, 'per-user-mailboxes-header-routing');
      assert.match(d.findings[0]!.why, /^The user got one copy: copy #\d+ was recognised as a duplicate/);
      assert.match(d.findings[0]!.fix, /collector "bob-isp" \(bob@example.test\): routing: \{ mode: user, target: bob \}/);
      assert.match(d.findings[0]!.fix, /collector "jane-isp" \(jane@example.test\): routing: \{ mode: user, target: jane \}/);
    }));

  it('the ISP copied the message per recipient into one mailbox', () =>
    withOffice(async (ctx) => {
      const copy = (n: number) => supplierMail({ trace: [`Received: from mx1.isp.example by store${n}.isp.example (Dovecot) with LMTP id kFq${n}; Mon, 23 Nov 2026 09:14:0${n} +0100`, `X-Spam-Score: 0.${n}`] });
      await arrive(ctx, fromCollector('office', OFFICE_BOX, 'UID-771', 's-off-1'), headersRouting, copy(1));
      const second = await arrive(ctx, fromCollector('office', OFFICE_BOX, 'UID-772', 's-off-1'), headersRouting, copy(2));
      assert.deepEqual(second.results.map((r) => r.outcome), ['suppressed', 'suppressed']);
      const d = await diagnose(ctx, 'bob', SUPPLIER_ID);
      assert.equal(d.findings[0]!.cause, 'isp-copy-per-recipient');
      assert.match(d.findings[0]!.why, /ISP put one copy of the message into the mailbox pop3:\/\/office@example\.test@pop\.isp\.example:995 for each recipient/);
      assert.match(d.findings[0]!.fix, /routes by envelope headers/);
    }));

  it('the sender gave each copy its own Message-ID: held, and the text says how to release it', () =>
    withOffice(async (ctx) => {
      const invoice = (id: string) =>
        eml(
          ['Return-Path: <billing@shop.example>', 'From: Shop Billing <billing@shop.example>', 'To: bob@example.test', 'Subject: Your invoice INV-20931', 'Date: Tue, 24 Nov 2026 06:00:00 +0000', `Message-ID: <${id}@mailout.shop.example>`, 'X-Mailer: Microsoft Dynamics 365 Business Central', 'Content-Type: text/plain; charset=us-ascii'],
          'Invoice INV-20931: EUR 1,240.00 due 2026-12-24.\n',
        );
      const src: Source = { kind: 'smtp', name: '203.0.113.80', detail: { session: 'ab12', tls: true } };
      await arrive(ctx, src, { mode: 'envelope', recipients: ['bob@example.test'] }, invoice('a81f'));
      const second = await arrive(ctx, { ...src, detail: { session: 'ab13', tls: true } }, { mode: 'envelope', recipients: ['bob@example.test'] }, invoice('a820'));
      assert.equal(second.results[0]!.outcome, 'held');
      const d = await diagnose(ctx, 'bob', 'a820@mailout.shop.example');
      assert.equal(d.copies.length, 2, 'the copy under the other Message-ID is found by its content');
      const f = d.findings[0]!;
      assert.equal(f.cause, 'sender-own-message-ids');
      assert.match(f.why, /put in "Possible duplicates".*gave each its own Message-ID \(Microsoft Dynamics 365 Business Central\)/);
      assert.match(f.fix, new RegExp(`postroom duplicates release ${second.results[0]!.deliveryId}`));
    }));

  it('a download cut off mid-session and fetched again under a new UIDL', () =>
    withOffice(async (ctx) => {
      const raw = supplierMail({ trace: ['Delivered-To: bob@example.test'] });
      await arrive(ctx, fromCollector('bob-isp', BOB_BOX, '000012ab4f', 's-1'), headersRouting, raw);
      const again = await arrive(ctx, fromCollector('bob-isp', BOB_BOX, '000012ff01', 's-2'), headersRouting, raw);
      assert.equal(again.results[0]!.outcome, 'suppressed');
      const f = (await diagnose(ctx, 'bob', SUPPLIER_ID)).findings[0]!;
      assert.equal(f.cause, 'download-repeated');
      assert.match(f.why, /downloaded the very same message again in a later session.*under a new UIDL \(000012ff01, was 000012ab4f\)/);
      assert.match(f.fix, /leaveOnServerDays: 1/);
    }));

  it('two collectors for one ISP mailbox (POP3 and IMAP on the same login)', () =>
    withOffice(async (ctx) => {
      const raw = supplierMail({ trace: ['Delivered-To: bob@example.test'] });
      await arrive(ctx, fromCollector('office', OFFICE_BOX, 'UID-9', 's-1'), headersRouting, raw);
      const second = await arrive(ctx, fromCollector('office-imap', OFFICE_IMAP, '1732300000:9', 's-2'), headersRouting, raw);
      assert.equal(second.results[0]!.outcome, 'suppressed');
      const f = (await diagnose(ctx, 'bob', SUPPLIER_ID)).findings[0]!;
      assert.equal(f.cause, 'two-collectors-one-mailbox');
      assert.match(f.why, /Collectors "office" and "office-imap" both download one ISP mailbox/);
      assert.match(f.fix, /Remove one of the two collectors/);
    }));

  it('a second server collecting the same mail and passing it on', () =>
    withOffice(async (ctx) => {
      await arrive(ctx, fromCollector('office', OFFICE_BOX, 'UID-9', 's-1'), headersRouting, supplierMail({ trace: ['Delivered-To: bob@example.test'] }));
      // The old server in the back office still collects the mailbox and relays what it gets to us.
      const relayed = supplierMail({
        trace: [
          'Received: from oldserver.example.test (oldserver.example.test [192.0.2.50]) by mx.example.test with ESMTP; Mon, 23 Nov 2026 09:20:11 +0100',
          `Received: from office (collector ${OFFICE_BOX} UID-9)\r\n\tby oldserver.example.test (Postroom) with POP3 id 9c1d2e3f4a5b;\r\n\tMon, 23 Nov 2026 08:20:10 +0000`,
          'Delivered-To: bob@example.test',
        ],
      });
      const second = await arrive(ctx, { kind: 'smtp', name: '192.0.2.50', detail: { session: 'x1', tls: false } }, { mode: 'envelope', recipients: ['bob@example.test'] }, relayed);
      assert.equal(second.results[0]!.outcome, 'suppressed');
      const f = (await diagnose(ctx, 'bob', SUPPLIER_ID)).findings[0]!;
      assert.equal(f.cause, 'second-instance');
      assert.match(f.why, /Another Postroom server \(on oldserver\.example\.test\)/);
      assert.match(f.fix, /stop the server on oldserver\.example\.test/);
    }));

  it('a mail program resending after a slow answer', () =>
    withOffice(async (ctx) => {
      const raw = eml(
        ['From: Bob <bob@example.test>', 'To: Jane <jane@example.test>', 'Subject: Scans of the signed contract', 'Date: Mon, 23 Nov 2026 11:02:40 +0100', 'Message-ID: <000001db3d9a$5c1e9b40$145bd1c0$@example.test>', 'X-Mailer: Microsoft Outlook 16.0', 'Thread-Index: AQHbPZpcHptAFFvRwUy0Qm3v5n1b2w==', 'Content-Type: text/plain; charset="us-ascii"'],
        'Jane, the signed contract is attached (18 MB).\n',
      );
      const src = (session: string): Source => ({ kind: 'submission', name: '192.0.2.25', detail: { session, tls: true, user: 'bob' } });
      await arrive(ctx, src('q1'), { mode: 'envelope', recipients: ['jane@example.test'] }, raw);
      const resent = await arrive(ctx, src('q2'), { mode: 'envelope', recipients: ['jane@example.test'] }, raw);
      assert.equal(resent.results[0]!.outcome, 'suppressed');
      const f = (await diagnose(ctx, 'jane', '000001db3d9a$5c1e9b40$145bd1c0$@example.test')).findings[0]!;
      assert.equal(f.cause, 'client-resend');
      assert.match(f.why, /The mail program of bob at 192\.0\.2\.25 \(Microsoft Outlook 16\.0\) sent the same message twice/);
      assert.match(f.fix, /server timeout/);
    }));

  it('a copy through a mailing list plus a direct copy: both delivered, and said why', () =>
    withOffice(async (ctx) => {
      const head = ['From: Dan <dan@partner.example>', 'To: bob@example.test', 'Cc: projects@lists.partner.example', 'Date: Mon, 23 Nov 2026 12:00:00 +0100', 'Message-ID: <CAF=7x2@mail.partner.example>'];
      await arrive(ctx, { kind: 'smtp', name: '198.51.100.9' }, { mode: 'envelope', recipients: ['bob@example.test'] }, eml([...head, 'Subject: Kick-off on Friday'], 'See you Friday at 10.\n'));
      const viaList = eml(
        [...head, 'Subject: [projects] Kick-off on Friday', 'List-Id: Partner projects <projects.lists.partner.example>', 'List-Post: <mailto:projects@lists.partner.example>', 'Precedence: list'],
        'See you Friday at 10.\n\n--\nprojects mailing list\nhttps://lists.partner.example/projects\n',
      );
      const second = await arrive(ctx, { kind: 'smtp', name: '198.51.100.77' }, { mode: 'envelope', recipients: ['bob@example.test'] }, viaList);
      assert.equal(second.results[0]!.outcome, 'delivered');
      const d = await diagnose(ctx, 'bob', 'CAF=7x2@mail.partner.example');
      assert.equal(d.findings[0]!.cause, 'list-plus-direct');
      assert.match(d.findings[0]!.why, /^The user got two copies: .* came through the mailing list Partner projects/);
      assert.match(d.summary, /2 copies \(2 delivered\)/);
    }));

  it('genuinely different messages under one reused Message-ID', () =>
    withOffice(async (ctx) => {
      const alarm = (text: string) => eml(['From: NAS <nas@example.test>', 'To: bob@example.test', 'Subject: Backup report', 'Date: Mon, 23 Nov 2026 03:00:00 +0100', 'Message-ID: <1@localhost>'], text);
      await arrive(ctx, { kind: 'smtp', name: '192.168.1.20' }, { mode: 'envelope', recipients: ['bob@example.test'] }, alarm('Backup completed: 1,204 files.\n'));
      const second = await arrive(ctx, { kind: 'smtp', name: '192.168.1.20' }, { mode: 'envelope', recipients: ['bob@example.test'] }, alarm('Backup FAILED: disk full.\n'));
      assert.equal(second.results[0]!.outcome, 'delivered');
      const d = await diagnose(ctx, 'bob', '1@localhost');
      assert.equal(d.findings[0]!.cause, 'different-messages');
      assert.match(d.findings[0]!.why, /reused a Message-ID for a different message/);
      const text = formatDiagnosis(d).join('\n');
      assert.match(text, /^bob, Message-ID <1@localhost>: 2 copies \(2 delivered\), 2 of them in the user's folders: genuinely different messages\./);
      assert.match(text, /Cause: genuinely different messages \(different-messages\)/);
    }));
});
