import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { outboundQueueRunner } from '../../src/smtp/outbound/queue-runner.js';
import { fakeSmarthost, type FakeSmarthost } from '../fixtures/fake-smarthost.js';
import { freePort } from '../helpers/cli.js';
import { inbox, runTool, smtpHarness, type SmtpHarness } from './harness.js';

describe('outbound queue through the smarthost', () => {
  let h: SmtpHarness;
  let relayPort: number;
  let smarthost: FakeSmarthost | null = null;
  before(async () => {
    relayPort = await freePort();
    h = await smtpHarness(`relay: { host: 127.0.0.1, port: ${relayPort}, security: none, user: relayuser, password: relaypw }\noutbound: { retrySeconds: 60 }\n`);
  });
  after(async () => {
    await smarthost?.close();
    await h.close();
  });

  const submit = (to: string, subject: string) =>
    runTool('swaks', ['--server', `${h.host}:${h.submissionPort}`, '--auth', 'PLAIN', '--auth-user', 'bob', '--auth-password', 'bobpw', '--from', 'bob@example.test', '--to', to, '--header', `Subject: ${subject}`]);

  it('queues while the smarthost is down, retries with backoff, relays with AUTH once it is up', async () => {
    const runner = outboundQueueRunner(h.ctx);
    assert.match((await submit('partner@remote.test', 'while down')).out, /250 2\.6\.0 Queued/);
    await h.service.idle();
    const t0 = Date.now();
    await runner.runOnce(t0);
    const [row] = await h.ctx.store.outbound.list();
    assert.equal(row?.state, 'queued');
    assert.equal(row.attempts, 1);
    assert.ok(row.nextAttemptAt >= t0 + 60_000, 'next attempt after the backoff');
    assert.match(row.lastError ?? '', /ECONNREFUSED|relay through/);

    smarthost = await fakeSmarthost(relayPort);
    await runner.runOnce(t0 + 1000); // not due yet
    assert.equal(smarthost.messages.length, 0);
    await runner.runOnce(t0 + 61_000);
    assert.equal(smarthost.messages.length, 1);
    const m = smarthost.messages[0]!;
    assert.equal(m.from, 'bob@example.test');
    assert.deepEqual(m.to, ['partner@remote.test']);
    assert.equal(m.user, 'relayuser');
    assert.match(m.data.toString(), /^Received: from [^\r\n]+\r\n\tby mail\.example\.test \(Postroom\) with ESMTPA[\s\S]*Subject: while down/);
    assert.equal((await h.ctx.store.outbound.get(row.id))?.state, 'sent');
    assert.equal((await h.ctx.store.outbound.list()).length, 0);
  });

  it('bounces a permanent refusal to the sender with an RFC 3464 report, and delivers the rest', async () => {
    const runner = outboundQueueRunner(h.ctx);
    assert.match((await submit('bad@remote.test,good@remote.test', 'half wrong')).out, /250 2\.6\.0 Queued/);
    await h.service.idle();
    await runner.runOnce(Date.now());
    assert.deepEqual(smarthost!.messages.at(-1)!.to, ['good@remote.test']);
    const failed = (await h.ctx.store.outbound.list()).filter((r) => r.state === 'failed');
    assert.deepEqual(failed.map((r) => r.recipient), ['bad@remote.test']);
    const bounce = (await inbox(h.ctx, 'bob')).map((b) => b.toString()).find((t) => t.includes('Undelivered Mail'));
    assert.ok(bounce, 'bob got a bounce');
    assert.match(bounce, /Content-Type: multipart\/report; report-type=delivery-status/);
    assert.match(bounce, /Final-Recipient: rfc822; bad@remote\.test\r\nAction: failed\r\nStatus: 5\.1\.1\r\nDiagnostic-Code: smtp; 550 5\.1\.1 No such mailbox/);
    assert.match(bounce, /Content-Type: text\/rfc822-headers\r\n\r\nReceived: [\s\S]*Subject: half wrong/);
    assert.doesNotMatch(bounce, /Final-Recipient: rfc822; good@remote\.test/);
  });

  it("quotes only the header in a bounce of a message with bare LF line ends (the body stays out)", async () => {
    const runner = outboundQueueRunner(h.ctx);
    const message = 'From: bob@example.test\nTo: bad-lf@remote.test\nSubject: unix line ends\n\nSECRET BODY LINE\n';
    await h.ctx.pipeline.ingest({
      source: { kind: 'smtp', name: 'test', envelopeFrom: 'bob@example.test' },
      routing: { mode: 'envelope', recipients: ['bad-lf@remote.test'] },
      content: [Buffer.from(message)],
    });
    await runner.runOnce(Date.now());
    const bounce = (await inbox(h.ctx, 'bob')).map((b) => b.toString()).find((t) => t.includes('Final-Recipient: rfc822; bad-lf@remote.test'));
    assert.ok(bounce, 'bob got a bounce');
    assert.match(bounce, /Content-Type: text\/rfc822-headers\r\n\r\nReceived: [\s\S]*Subject: unix line ends/);
    assert.doesNotMatch(bounce, /SECRET BODY LINE/);
  });

  it('tells the sender once when a recipient is still queued after delayWarningHours', async () => {
    const runner = outboundQueueRunner(h.ctx);
    assert.match((await submit('later-slow@remote.test', 'slow one')).out, /250 2\.6\.0 Queued/);
    await h.service.idle();
    await runner.runOnce(Date.now());
    const row = (await h.ctx.store.outbound.list()).find((r) => r.recipient === 'later-slow@remote.test')!;
    const warnings = async () =>
      (await inbox(h.ctx, 'bob')).map((b) => b.toString()).filter((t) => t.includes('later-slow@remote.test') && t.includes('Action: delayed'));
    assert.equal((await warnings()).length, 0, 'not before 4 hours');
    await runner.runOnce(row.createdAt + 5 * 3_600_000);
    const [warning] = await warnings();
    assert.ok(warning, 'a delay notice after 4 hours');
    assert.match(warning, /Subject: Delayed Mail \(still being retried\)/);
    assert.match(warning, /Final-Recipient: rfc822; later-slow@remote\.test\r\nAction: delayed\r\nStatus: 4\.4\.7/);
    assert.match(warning, /Will-Retry-Until: /);
    assert.equal((await h.ctx.store.outbound.get(row.id))?.state, 'queued', 'still being tried');
    await runner.runOnce(row.createdAt + 7 * 3_600_000);
    assert.equal((await warnings()).length, 1, 'only once');
  });

  it('bounces a recipient still refused for now after bounceAfterHours (4.4.7)', async () => {
    const runner = outboundQueueRunner(h.ctx);
    assert.match((await submit('later@remote.test', 'never today')).out, /250 2\.6\.0 Queued/);
    await h.service.idle();
    await runner.runOnce(Date.now());
    const row = (await h.ctx.store.outbound.list()).find((r) => r.recipient === 'later@remote.test')!;
    assert.equal(row.state, 'queued');
    await runner.runOnce(row.createdAt + 97 * 3_600_000);
    assert.equal((await h.ctx.store.outbound.get(row.id))?.state, 'failed');
    const bounces = (await inbox(h.ctx, 'bob')).map((b) => b.toString()).filter((t) => t.includes('later@remote.test') && t.includes('Status: 4.4.7'));
    assert.equal(bounces.length, 1);
  });
});
