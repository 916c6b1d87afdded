/**
 * The seed's causes of duplicated messages (../shared/seed/duplicated-messages.txt), each played
 * against Debian's Dovecot as the ISP: every case must end with one copy per recipient.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDovecot, type DovecotInstance } from '../fixtures/dovecot.js';
import { testContext, type TestContext } from '../helpers/context.js';
import { collect, collectorYaml, mail, office, onServer, subjects } from './helpers.js';

const toBoth = 'bob@example.test, jane@example.test';

describe('collectors against Dovecot: the seed cases', () => {
  let isp: DovecotInstance;
  before(async () => {
    isp = await startDovecot({
      tls: false,
      users: [
        // 1. One ISP mailbox per user; the message to both lands in each, with Delivered-To.
        { name: 'bob', password: 'pb', messages: [mail({ subject: 'Per-user A', to: toBoth, envelope: ['Delivered-To: bob@example.test'] })] },
        { name: 'jane', password: 'pj', messages: [mail({ subject: 'Per-user A', to: toBoth, envelope: ['Delivered-To: jane@example.test'] })] },
        // 2. One domain mailbox where the ISP puts a copy per recipient: with envelope headers...
        {
          name: 'office',
          password: 'po',
          messages: [
            mail({ subject: 'Domain B', to: toBoth, envelope: ['Delivered-To: bob@example.test', 'Received: from mx by isp; Mon, 23 Nov 2026 10:00:01 +0000'] }),
            mail({ subject: 'Domain B', to: toBoth, envelope: ['Delivered-To: jane@example.test', 'Received: from mx by isp; Mon, 23 Nov 2026 10:00:02 +0000'] }),
            // ...and without: both copies name both people.
            mail({ subject: 'Domain C', to: toBoth }),
            mail({ subject: 'Domain C', to: toBoth, envelope: ['X-Spam-Score: 1.2'] }),
            // 3. The sender gave each copy its own Message-ID.
            mail({ subject: 'Own IDs D', to: 'bob@example.test', id: 'copy1-d' }),
            mail({ subject: 'Own IDs D', to: 'bob@example.test', id: 'copy2-d' }),
            // Bcc: only the envelope header names jane.
            mail({ subject: 'Bcc E', to: 'someone@remote.test', envelope: ['X-Original-To: jane@example.test'] }),
            // Nobody local: never dropped, to unknownRecipient.
            mail({ subject: 'Stray F', to: 'ghost@remote.test' }),
          ],
        },
        // 4. The same message reaches us through two different collectors.
        { name: 'second', password: 'p2', messages: [mail({ subject: 'Two doors G', to: 'bob@example.test' })] },
        { name: 'third', password: 'p3', messages: [mail({ subject: 'Two doors G', to: 'bob@example.test' })] },
      ],
    });
  });
  after(async () => isp?.stop());

  let ctx: TestContext;
  before(async () => {
    const p = isp.ports.pop3;
    ctx = await testContext(
      office +
        'collectors:\n' +
        collectorYaml({ name: 'bob-isp', protocol: 'pop3', port: p, user: 'bob', password: 'pb', routing: { mode: 'user', target: 'bob' } }) +
        collectorYaml({ name: 'jane-isp', protocol: 'pop3', port: p, user: 'jane', password: 'pj', routing: { mode: 'headers' } }) +
        collectorYaml({ name: 'office', protocol: 'pop3', port: p, user: 'office', password: 'po', routing: { mode: 'headers' } }) +
        collectorYaml({ name: 'second', protocol: 'pop3', port: p, user: 'second', password: 'p2', routing: { mode: 'user', target: 'bob' } }) +
        collectorYaml({ name: 'third', protocol: 'imap', port: isp.ports.imap, user: 'third', password: 'p3', routing: { mode: 'headers' } }),
    );
  });
  after(async () => ctx?.cleanup());

  it('one ISP mailbox per user: each person gets one copy', async () => {
    const a = await collect(ctx, 'bob-isp');
    const b = await collect(ctx, 'jane-isp');
    assert.deepEqual([a.errors, b.errors], [[], []]);
    assert.deepEqual(await subjects(ctx, 'bob'), ['Per-user A']);
    assert.deepEqual(await subjects(ctx, 'jane'), ['Per-user A']);
    assert.equal(await onServer(isp.maildir('bob')), 0, 'deleted from the ISP once delivered');
  });

  it('one domain mailbox with a copy per recipient: one copy each, with and without envelope headers', async () => {
    const r = await collect(ctx, 'office');
    assert.deepEqual(r.errors, []);
    assert.equal(r.downloaded, 8);
    const bob = await subjects(ctx, 'bob');
    const jane = await subjects(ctx, 'jane');
    assert.deepEqual(bob.filter((s) => s.startsWith('Domain')), ['Domain B', 'Domain C']);
    assert.deepEqual(jane.filter((s) => s.startsWith('Domain')), ['Domain B', 'Domain C']);
    assert.ok(r.suppressed >= 2, `suppressed ${r.suppressed}`);
    assert.equal(await onServer(isp.maildir('office')), 0);
  });

  it('copies with their own Message-IDs: one in the INBOX, the other held, nothing lost', async () => {
    assert.deepEqual((await subjects(ctx, 'bob')).filter((s) => s.startsWith('Own IDs')), ['Own IDs D']);
    assert.deepEqual(await subjects(ctx, 'bob', 'Possible duplicates'), ['Own IDs D']);
  });

  it('Bcc recipients are found from envelope headers only; mail for nobody goes to unknownRecipient', async () => {
    assert.ok((await subjects(ctx, 'jane')).includes('Bcc E'));
    assert.ok(!(await subjects(ctx, 'bob')).includes('Bcc E'));
    assert.deepEqual(await subjects(ctx, 'postmaster'), ['Stray F']);
  });

  it('the same message through two collectors (POP3 and IMAP) is delivered once', async () => {
    await collect(ctx, 'second');
    const r = await collect(ctx, 'third');
    assert.deepEqual(r.errors, []);
    assert.equal(r.suppressed, 1);
    assert.deepEqual((await subjects(ctx, 'bob')).filter((s) => s === 'Two doors G'), ['Two doors G']);
    assert.equal(await onServer(isp.maildir('third')), 0, 'IMAP: \\Deleted + EXPUNGE');
  });

  it('a second run finds nothing new', async () => {
    for (const name of ['bob-isp', 'jane-isp', 'office', 'second', 'third']) {
      const r = await collect(ctx, name);
      assert.deepEqual([r.seen, r.downloaded, r.errors], [0, 0, []], name);
    }
  });
});
