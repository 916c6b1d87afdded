import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { message } from '../helpers/messages.js';
import { inbox, python, runTool, smtpHarness, type SmtpHarness } from './harness.js';

const EHLO_FEATURES = `
import json, os, smtplib
out = {}
for door in ('smtp', 'submission'):
    s = smtplib.SMTP(os.environ['HOST'], int(os.environ[door.upper() + '_PORT']), timeout=10)
    s.ehlo('client.test')
    out[door] = {k.upper(): v for k, v in s.esmtp_features.items()}
    s.quit()
print(json.dumps(out))
`;

describe('SMTP receiving (MX) and submission', () => {
  let h: SmtpHarness;
  let env: Record<string, string>;
  before(async () => {
    h = await smtpHarness('smtp: { maxMessageBytes: 200000 }\n');
    env = { HOST: h.host, SMTP_PORT: String(h.smtpPort), SUBMISSION_PORT: String(h.submissionPort) };
  });
  after(async () => h.close());

  it('announces SIZE, 8BITMIME, SMTPUTF8, PIPELINING, ENHANCEDSTATUSCODES and STARTTLS; AUTH only on submission', async () => {
    const f = await python<Record<string, Record<string, string>>>(EHLO_FEATURES, env);
    for (const door of ['smtp', 'submission']) {
      for (const ext of ['8BITMIME', 'SMTPUTF8', 'PIPELINING', 'ENHANCEDSTATUSCODES', 'STARTTLS']) assert.ok(ext in f[door]!, `${door} lacks ${ext}`);
      assert.equal(f[door]!.SIZE, '200000');
    }
    assert.ok(!('AUTH' in f.smtp!), 'MX must not offer AUTH');
    assert.match(f.submission!.AUTH!, /PLAIN/);
    assert.match(f.submission!.AUTH!, /LOGIN/);
  });

  it('takes mail for local users over STARTTLS from anyone (swaks) and stores it byte for byte', async () => {
    const body = message({ from: 'Alice <alice@remote.test>', to: 'bob@example.test', subject: 'over STARTTLS', messageId: '<tls1@remote.test>' });
    const r = await runTool('swaks', ['--server', `${h.host}:${h.smtpPort}`, '--tls', '--ehlo', 'remote.test', '--from', 'alice@remote.test', '--to', 'bob@example.test', '--data', '-'], body);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /<~ +250 2\.6\.0 Queued as \d+/);
    await h.service.idle();
    const got = await inbox(h.ctx, 'bob');
    assert.equal(got.length, 1);
    assert.ok(got[0]!.includes(body), 'the message is stored as sent (swaks adds a blank line at the end)');
    assert.match(got[0]!.toString(), /^Received: from remote\.test \[127\.0\.0\.1\] \(smtp\)\r\n\tby mail\.example\.test \(Postroom\) with ESMTPS /);
  });

  it('answers a pipelined transaction to two recipients (swaks --pipeline)', async () => {
    const r = await runTool('swaks', ['--server', `${h.host}:${h.smtpPort}`, '--pipeline', '--from', 'alice@remote.test', '--to', 'jane@example.test,robert@example.test', '--header', 'Subject: pipelined', '--header', 'Message-Id: <pipe1@remote.test>']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /PIPELINING/);
    await h.service.idle();
    assert.equal((await inbox(h.ctx, 'jane')).filter((m) => m.includes('pipelined')).length, 1);
    assert.equal((await inbox(h.ctx, 'bob')).filter((m) => m.includes('pipelined')).length, 1);
  });

  it('keeps 8-bit bodies and SMTPUTF8 addresses exact (smtplib)', async () => {
    const script = `
import json, os, smtplib
msg = ('From: André <andré@remote.test>\\r\\nTo: bob@example.test\\r\\nSubject: =?utf-8?q?caf=C3=A9?=\\r\\nMessage-ID: <utf8@remote.test>\\r\\n'
       'Content-Type: text/plain; charset=utf-8\\r\\nContent-Transfer-Encoding: 8bit\\r\\n\\r\\nCafé, crème brûlée, 日本語\\r\\n').encode('utf-8')
s = smtplib.SMTP(os.environ['HOST'], int(os.environ['SMTP_PORT']), timeout=10)
s.ehlo('client.test')
refused = s.sendmail('andré@remote.test', ['bob@example.test'], msg, mail_options=['SMTPUTF8', 'BODY=8BITMIME'])
s.quit()
print(json.dumps({'refused': refused, 'hex': msg.hex()}))
`;
    const r = await python<{ refused: object; hex: string }>(script, env);
    assert.deepEqual(r.refused, {});
    await h.service.idle();
    const sent = Buffer.from(r.hex, 'hex');
    const stored = (await inbox(h.ctx, 'bob')).find((m) => m.includes('<utf8@remote.test>'));
    assert.ok(stored, 'delivered');
    assert.ok(stored.subarray(stored.length - sent.length).equals(sent), '8-bit bytes unchanged');
  });

  it('refuses an oversized message at MAIL (SIZE=) and after DATA, and stores nothing', async () => {
    const script = `
import json, os, smtplib
s = smtplib.SMTP(os.environ['HOST'], int(os.environ['SMTP_PORT']), timeout=10)
s.ehlo('client.test')
declared = s.mail('alice@remote.test', ['SIZE=300000'])
s.rset()
big = b'Subject: big\\r\\nMessage-ID: <big@remote.test>\\r\\n\\r\\n' + (b'x' * 998 + b'\\r\\n') * 300
s.mail('alice@remote.test')  # no SIZE= this time: the limit must hold after DATA too
s.rcpt('bob@example.test')
code, text = s.data(big)
data = [code, text.decode()]
s.quit()
print(json.dumps({'declared': [declared[0], declared[1].decode()], 'data': data}))
`;
    const r = await python<{ declared: [number, string]; data: [number, string] }>(script, env);
    assert.equal(r.declared[0], 552);
    assert.equal(r.data[0], 552);
    assert.match(r.data[1], /^5\.3\.4 /);
    await h.service.idle();
    assert.equal((await inbox(h.ctx, 'bob')).filter((m) => m.includes('<big@remote.test>')).length, 0);
  });

  it('refuses unknown local recipients at RCPT with 550 5.1.1 and relaying with 550 5.7.1', async () => {
    const unknown = await runTool('swaks', ['--server', `${h.host}:${h.smtpPort}`, '--from', 'a@remote.test', '--to', 'nobody@example.test', '--quit-after', 'RCPT']);
    assert.match(unknown.out, /<(?:\*\*|~\*) +550 5\.1\.1 No such user here/);
    const relay = await runTool('swaks', ['--server', `${h.host}:${h.smtpPort}`, '--from', 'bob@example.test', '--to', 'someone@remote.test', '--quit-after', 'RCPT']);
    assert.match(relay.out, /<(?:\*\*|~\*) +550 5\.7\.1 Relaying denied/);
  });

  it('submission: AUTH PLAIN and LOGIN over STARTTLS, own sender only, wrong passwords throttled', async () => {
    const base = ['--server', `${h.host}:${h.submissionPort}`, '--tls', '--to', 'jane@example.test', '--header', 'Subject: submitted'];
    const plain = await runTool('swaks', [...base, '--from', 'bob@example.test', '--auth', 'PLAIN', '--auth-user', 'bob', '--auth-password', 'bobpw']);
    assert.match(plain.out, /<~ +235 2\.7\.0/, plain.out);
    assert.match(plain.out, /<~ +250 2\.6\.0 Queued/);
    const login = await runTool('swaks', [...base, '--from', 'robert@example.test', '--auth', 'LOGIN', '--auth-user', 'bob@example.test', '--auth-password', 'bobpw']);
    assert.match(login.out, /<~ +250 2\.6\.0 Queued/, login.out);
    const notOwn = await runTool('swaks', [...base, '--from', 'jane@example.test', '--auth', 'PLAIN', '--auth-user', 'bob', '--auth-password', 'bobpw', '--quit-after', 'MAIL']);
    assert.match(notOwn.out, /<(?:\*\*|~\*) +553 5\.7\.1 Sender address <jane@example\.test> is not yours/);
    const outcomes: string[] = [];
    for (let i = 0; i < 5; i++) {
      const bad = await runTool('swaks', [...base, '--from', 'jane@example.test', '--auth', 'PLAIN', '--auth-user', 'jane', '--auth-password', 'wrong', '--quit-after', 'AUTH']);
      outcomes.push(/<(?:\*\*|~\*) +(\d{3} \d\.\d\.\d+)/.exec(bad.out)?.[1] ?? bad.out);
    }
    // maxFailuresPerUser is 4 in the harness: four "invalid", then refused without checking.
    assert.deepEqual(outcomes, ['535 5.7.8', '535 5.7.8', '535 5.7.8', '535 5.7.8', '454 4.7.0']);
    await h.service.idle();
    assert.equal((await inbox(h.ctx, 'jane')).filter((m) => m.includes('Subject: submitted')).length, 2);
  });

  it('submission: MAIL without AUTH is refused with 530 5.7.0', async () => {
    const r = await runTool('swaks', ['--server', `${h.host}:${h.submissionPort}`, '--from', 'bob@example.test', '--to', 'jane@example.test', '--quit-after', 'MAIL']);
    assert.match(r.out, /<(?:\*\*|~\*) +530 5\.7\.0/);
  });
});
