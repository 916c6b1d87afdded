/**
 * The message trace service (diagnose/trace.ts) over the real pipeline and SQLite store: each search
 * field, the 7-day window, and every kind of timeline event.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { searchTrace, traceMessage, traceSearch, type MessageTrace } from '../../src/diagnose/trace.js';
import type { Source } from '../../src/store/interfaces.js';
import type { RoutingSpec } from '../../src/pipeline/route.js';
import { officeYaml, testContext, type TestContext } from '../helpers/context.js';
import { message } from '../helpers/messages.js';

const collector: Source = { kind: 'collector', name: 'office-isp', remoteId: 'pop3://office@isp.test:110 UIDL-7', detail: { protocol: 'pop3', mailbox: 'pop3://office@isp.test:110', uid: 'UIDL-7' } };
const smtp: Source = { kind: 'smtp', name: 'mx.remote.test [192.0.2.9]', detail: { tls: true }, envelopeFrom: 'bounces+inv@mailer.remote.test' };
const submission: Source = { kind: 'submission', name: 'pc1 [192.0.2.20]', detail: { user: 'jane' }, envelopeFrom: 'jane@example.test' };

const kinds = (t: MessageTrace | undefined) => t!.events.map((e) => e.kind);
const textOf = (t: MessageTrace | undefined, kind: string) => t!.events.filter((e) => e.kind === kind).map((e) => e.text);

describe('message trace', () => {
  let ctx: TestContext;
  const ids = { collected: 0, again: 0, changed: 0, sent: 0 };
  const ingest = async (source: Source, content: Buffer, routing: RoutingSpec, journal?: { mailboxKey: string; remoteId: string; collector: string }) =>
    (await ctx.pipeline.ingest({ source, routing, content: [content], ...(journal ? { journal } : {}) })).ingestId;

  before(async () => {
    ctx = await testContext(officeYaml);
    const invoice = message({ subject: 'Invoice 1', messageId: '<Inv-1@Remote.test>', to: 'bob@example.test' });
    ids.collected = await ingest(collector, invoice, { mode: 'headers', envelopeHeaders: ['Delivered-To', 'X-Original-To'] }, { mailboxKey: 'pop3://office@isp.test:110', remoteId: 'UIDL-7', collector: 'office-isp' });
    // The same message again by SMTP: bob already has it.
    ids.again = await ingest(smtp, invoice, { mode: 'envelope', recipients: ['bob@example.test'] });
    // Same text under a new Message-ID: perhaps a resend, perhaps a second copy, so held.
    ids.changed = await ingest(smtp, message({ subject: 'Invoice 1', messageId: '<inv-1.resent@remote.test>', to: 'bob@example.test' }), { mode: 'envelope', recipients: ['bob@example.test'] });
    ids.sent = await ingest(submission, message({ from: 'jane@example.test', to: 'partner@elsewhere.test', subject: 'Order 55', messageId: '<o55@example.test>' }), { mode: 'envelope', recipients: ['partner@elsewhere.test', 'robert@example.test'] });
  });
  after(() => ctx.cleanup());

  it('finds messages by each field, and by any field', async () => {
    const found = async (text: string, field: string) => (await searchTrace(ctx.store, traceSearch(text, field))).map((s) => s.ingestId).sort();
    assert.deepEqual(await found('invoice', 'subject'), [ids.collected, ids.again, ids.changed].sort());
    assert.deepEqual(await found('JANE@', 'from'), [ids.sent]);
    // The SMTP envelope sender (MAIL FROM) counts as a sender too: it is not in the From: header.
    assert.deepEqual(await found('bounces+inv@mailer', 'from'), [ids.again, ids.changed].sort());
    assert.deepEqual(await found('<INV-1@remote.test>', 'messageId'), [ids.collected, ids.again].sort());
    assert.deepEqual(await found('partner@elsewhere', 'to'), [ids.sent]);
    assert.deepEqual(await found('bob', 'to'), [ids.collected, ids.again, ids.changed, ids.sent].sort());
    assert.deepEqual(await found('order 55', 'any'), [ids.sent]);
    assert.deepEqual(await found('nothing like this', 'any'), []);
    // LIKE's wildcards are taken literally.
    assert.deepEqual(await found('%', 'subject'), []);
  });

  it('lists newest first with recipients and outcomes', async () => {
    const all = await searchTrace(ctx.store, traceSearch('', 'any'));
    assert.deepEqual(all.map((s) => s.ingestId), [ids.sent, ids.changed, ids.again, ids.collected]);
    const sent = all[0]!;
    assert.deepEqual(sent.recipients, ['bob', 'partner@elsewhere.test']);
    assert.deepEqual(sent.outcomes, { delivered: 1, queued: 1 });
    assert.deepEqual(all[2]!.outcomes, { suppressed: 1 });
  });

  it('only looks back 7 days', async () => {
    const eightDaysOn = Date.now() + 8 * 86_400_000;
    assert.equal((await searchTrace(ctx.store, traceSearch('invoice', 'subject'), eightDaysOn)).length, 0);
    const sixDaysOn = Date.now() + 6 * 86_400_000;
    assert.equal((await searchTrace(ctx.store, traceSearch('invoice', 'subject'), sixDaysOn)).length, 3);
  });

  it('tells where a collected message came from and where it went', async () => {
    const t = await traceMessage(ctx.store, ids.collected);
    assert.deepEqual(kinds(t), ['arrived', 'routed', 'delivered']);
    assert.match(textOf(t, 'arrived')[0]!, /collector office-isp: pop3:\/\/office@isp\.test:110, UIDL UIDL-7/);
    assert.match(textOf(t, 'routed')[0]!, /^routed to bob \(.*bob@example\.test/);
    assert.match(textOf(t, 'delivered')[0]!, /^delivered to bob: INBOX, UID 1$/);
  });

  it('names the earlier copy a suppressed or held one duplicates', async () => {
    const again = await traceMessage(ctx.store, ids.again);
    assert.match(textOf(again, 'arrived')[0]!, /by SMTP from mx\.remote\.test \[192\.0\.2\.9\] over TLS, envelope sender <bounces\+inv@mailer\.remote\.test>$/);
    const suppressed = again!.events.find((e) => e.kind === 'suppressed')!;
    assert.match(suppressed.text, new RegExp(`^suppressed for bob: .*duplicate of message #${ids.collected} \\("Invoice 1"`));
    assert.equal(suppressed.ref, ids.collected);
    const changed = await traceMessage(ctx.store, ids.changed);
    const held = changed!.events.find((e) => e.kind === 'held')!;
    assert.match(held.text, /^held for bob in "Possible duplicates": /);
    assert.equal(held.ref, ids.collected);
  });

  it('shows submissions, relayed recipients and their queue state', async () => {
    const t = await traceMessage(ctx.store, ids.sent);
    assert.match(textOf(t, 'arrived')[0]!, /^submitted by jane from pc1 \[192\.0\.2\.20\], envelope sender <jane@example\.test>$/);
    assert.ok(textOf(t, 'routed').some((x) => x.startsWith('routed to partner@elsewhere.test')));
    assert.match(textOf(t, 'relayed')[0]!, /^relayed to partner@elsewhere\.test: queued, next attempt .* \(0 attempts\)/);
  });

  it('shows the first fetch by a client, keeping the first time', async () => {
    const copy = (await ctx.store.provenance.ofIngest(ids.collected))[0]!;
    await ctx.store.trace.recordFetches([{ user: 'bob', blob: copy.blob, protocol: 'pop3', client: '192.0.2.50', at: copy.at + 1000 }]);
    await ctx.store.trace.recordFetches([{ user: 'bob', blob: copy.blob, protocol: 'imap', client: '192.0.2.51', at: copy.at + 5000 }]);
    const t = await traceMessage(ctx.store, ids.collected);
    assert.deepEqual(kinds(t), ['arrived', 'routed', 'delivered', 'fetched']);
    assert.equal(textOf(t, 'fetched')[0], "first fetched by bob's mail client (POP3 RETR from 192.0.2.50)");
    assert.equal(t!.events.at(-1)!.at, copy.at + 1000);
  });

  it('is undefined for an unknown message', async () => {
    assert.equal(await traceMessage(ctx.store, 999_999), undefined);
  });
});
