/**
 * The open-relay matrix: every combination of door, authentication state, local/remote sender and
 * local/remote recipient. Nothing may reach a remote recipient without a successful AUTH.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { python, smtpHarness, type SmtpHarness } from './harness.js';

const MATRIX = `
import json, os, smtplib, ssl
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
rows = []
for door in ('smtp', 'submission'):
    for auth in ('none', 'wrong', 'ok'):
        for sender in ('bob@example.test', 'alice@remote.test'):
            for rcpt in ('jane@example.test', 'someone@remote.test'):
                s = smtplib.SMTP(os.environ['HOST'], int(os.environ[door.upper() + '_PORT']), timeout=10)
                s.ehlo('client.test'); s.starttls(context=ctx); s.ehlo('client.test')
                row = {'door': door, 'auth': auth, 'sender': sender, 'rcpt': rcpt}
                if auth != 'none':
                    code, _ = s.docmd('AUTH', 'PLAIN ' + __import__('base64').b64encode(('\\0bob\\0' + ('bobpw' if auth == 'ok' else 'nope')).encode()).decode())
                    row['authCode'] = code
                row['mail'] = s.docmd('MAIL', 'FROM:<%s>' % sender)[0]
                code, text = s.docmd('RCPT', 'TO:<%s>' % rcpt)
                row['rcpt_code'] = code; row['rcpt_text'] = text.decode()
                if code == 250:
                    msg = 'From: %s\\r\\nTo: %s\\r\\nSubject: matrix %s %s\\r\\nMessage-ID: <m%d@client.test>\\r\\n\\r\\nhi\\r\\n' % (sender, rcpt, door, auth, len(rows))
                    row['data'] = s.data(msg.encode())[0]
                s.quit()
                rows.append(row)
print(json.dumps(rows))
`;

interface Row {
  door: string;
  auth: string;
  sender: string;
  rcpt: string;
  authCode?: number;
  mail: number;
  rcpt_code: number;
  rcpt_text: string;
  data?: number;
}

describe('open-relay matrix', () => {
  let h: SmtpHarness;
  before(async () => (h = await smtpHarness('', { throttle: { baseDelayMs: 1, maxDelayMs: 2, windowMs: 60_000, maxFailuresPerAddress: 100, maxFailuresPerUser: 100 } })));
  after(async () => h.close());

  it('refuses every relay attempt without AUTH, and accepts exactly what it should', async () => {
    const rows = await python<Row[]>(MATRIX, { HOST: h.host, SMTP_PORT: String(h.smtpPort), SUBMISSION_PORT: String(h.submissionPort) });
    assert.equal(rows.length, 24);
    for (const r of rows) {
      const what = JSON.stringify(r);
      const authed = r.door === 'submission' && r.auth === 'ok';
      const remote = r.rcpt.endsWith('@remote.test');
      if (r.door === 'smtp' && r.auth !== 'none') assert.ok(r.authCode !== undefined && r.authCode >= 500, `MX offers no AUTH: ${what}`);
      if (r.door === 'submission' && r.auth === 'wrong') assert.equal(r.authCode, 535, what);
      if (r.door === 'submission' && r.auth === 'ok') assert.equal(r.authCode, 235, what);
      let accepted: boolean;
      if (r.door === 'smtp') accepted = !remote;
      else accepted = authed && r.sender === 'bob@example.test';
      assert.equal(r.rcpt_code === 250 && r.data === 250, accepted, `accepted should be ${accepted}: ${what}`);
      if (remote && !authed) assert.ok(r.mail !== 250 || (r.rcpt_code === 550 && /^5\.7\.1 /.test(r.rcpt_text)), `relay refused with 5.7.1: ${what}`);
    }
    await h.service.idle();
    // The one accepted relay is in the outbound queue, nothing else is.
    const queued = await h.ctx.store.outbound.list();
    assert.deepEqual(
      queued.map((q) => [q.sender, q.recipient]),
      [['bob@example.test', 'someone@remote.test']],
    );
  });
});
