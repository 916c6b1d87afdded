/** Mailing lists over SMTP (Python's smtplib as the sender): list headers, members-only, noSelfCopy, loops. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { inbox } from '../smtp/harness.js';
import { listHarness, message, sendWithSmtplib } from './helpers.js';

const yaml = `
hostname: mail.example.test
domains: [example.test]
unknownRecipient: postmaster
users:
  - { name: postmaster, password: pm, addresses: [postmaster@example.test], admin: true }
  - { name: bob, password: bobpw, addresses: [bob@example.test] }
  - { name: jane, password: janepw, addresses: [jane@example.test] }
lists:
  - { name: news, address: news@example.test, type: mailing, members: [bob, jane, partner@elsewhere.test] }
  - { name: club, address: club@example.test, type: mailing, membersOnly: true, noSelfCopy: true, members: [bob, jane] }
  - { name: staff, address: staff@example.test, members: [bob, jane] }
  - { name: ring1, address: ring1@example.test, type: mailing, members: [ring2@example.test] }
  - { name: ring2, address: ring2@example.test, type: mailing, members: [ring1@example.test, bob] }
`;

describe('mailing lists', () => {
  let h: Awaited<ReturnType<typeof listHarness>>;
  before(async () => (h = await listHarness(yaml)));
  after(() => h.close());

  const send = async (from: string, to: string[], messageId: string, headerTo = to.join(', ')) => {
    const r = await sendWithSmtplib(h.port, from, to, message({ from, to: headerTo, messageId, subject: messageId }));
    await h.service.idle();
    return r;
  };
  const withId = async (user: string, messageId: string) => (await inbox(h.ctx, user)).map((b) => b.toString()).filter((t) => t.includes(messageId));

  test('each member gets a copy with List-Id and List-Unsubscribe; outside members are queued', async () => {
    const r = await send('someone@outside.test', ['news@example.test'], '<post-1@outside.test>');
    assert.equal(r.ok, true);
    for (const user of ['bob', 'jane']) {
      const got = await withId(user, '<post-1@outside.test>');
      assert.equal(got.length, 1, user);
      assert.match(got[0]!, /^List-Id: <news\.example\.test>\r$/m);
      assert.match(got[0]!, /^List-Unsubscribe: <mailto:postmaster@example\.test\?subject=unsubscribe%20news>\r$/m);
    }
    const queued = (await h.ctx.store.outbound.list()).filter((o) => o.recipient === 'partner@elsewhere.test');
    assert.equal(queued.length, 1);
    // The relayed copy is the list copy too (headers included), sent once.
    assert.match((await inbox(h.ctx, 'bob'))[0]!.toString(), /List-Id/);
  });

  test('distribution lists stay as they are: no list headers', async () => {
    await send('someone@outside.test', ['staff@example.test'], '<staff-1@outside.test>');
    const got = await withId('jane', '<staff-1@outside.test>');
    assert.equal(got.length, 1);
    assert.doesNotMatch(got[0]!, /List-Id/);
  });

  test('a members-only list refuses a non-member at RCPT with 550 5.7.1', async () => {
    const r = await send('stranger@outside.test', ['club@example.test'], '<club-0@outside.test>');
    assert.equal(r.ok, false);
    assert.equal(r.refused?.['club@example.test']?.[0], 550);
    assert.match(r.refused?.['club@example.test']?.[1] ?? '', /5\.7\.1 Only members may post/);
    assert.equal((await withId('jane', '<club-0@outside.test>')).length, 0);
  });

  test('a member may post; with noSelfCopy the poster gets no copy back', async () => {
    const r = await send('bob@example.test', ['club@example.test'], '<club-1@example.test>');
    assert.equal(r.ok, true);
    assert.equal((await withId('jane', '<club-1@example.test>')).length, 1);
    assert.equal((await withId('bob', '<club-1@example.test>')).length, 0);
  });

  test('addressed to the list and directly to a member: that member gets one copy', async () => {
    await send('someone@outside.test', ['news@example.test', 'jane@example.test'], '<both-1@outside.test>');
    assert.equal((await withId('jane', '<both-1@outside.test>')).length, 1);
    assert.equal((await withId('bob', '<both-1@outside.test>')).length, 1);
  });

  test('two lists that contain each other: no loop, bob gets one copy', async () => {
    await send('someone@outside.test', ['ring1@example.test'], '<ring-1@outside.test>');
    const got = await withId('bob', '<ring-1@outside.test>');
    assert.equal(got.length, 1);
    assert.match(got[0]!, /List-Id: <ring1\.example\.test>/);
    assert.match(got[0]!, /List-Id: <ring2\.example\.test>/);
    const listSpool = h.ctx.store.db.prepare(`SELECT count(*) AS n FROM spool WHERE json_extract(source, '$.kind') = 'list' AND state = 'pending'`).get() as { n: number };
    assert.equal(listSpool.n, 0, 'every list copy was delivered');
  });
});
