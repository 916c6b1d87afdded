/** The operations pages (inject): Possible duplicates, Queue, Doctor; their actions, CSRF and the login gate. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { message } from '../helpers/messages.js';
import { adminHarness, Browser, text, type AdminHarness } from './helpers.js';

describe('admin operations pages', () => {
  let h: AdminHarness;
  let b: Browser;
  before(async () => {
    h = await adminHarness();
    b = new Browser(h.app);
    await b.login();
  });
  after(async () => h.cleanup());

  /** Two copies of one invoice with different Message-IDs: the second is held for bob. */
  async function holdOne(tag: string) {
    const body = `Invoice ${tag} attached.\r\n`;
    const ingest = (n: number) =>
      h.ctx.pipeline.ingest({ source: { kind: 'smtp', name: '198.51.100.7' }, routing: { mode: 'envelope', recipients: ['bob@example.test'] }, content: [message({ subject: `Invoice ${tag}`, body, messageId: `<${tag}.${n}@billing.remote.test>` })] });
    await ingest(1);
    const r = await ingest(2);
    assert.equal(r.results[0]!.outcome, 'held');
    return r.results[0]!;
  }

  describe('Possible duplicates', () => {
    it('lists held copies per user with the reason, and releases one to the INBOX', async () => {
      const held = await holdOne('web');
      const page = await b.get('/duplicates');
      assert.equal(page.statusCode, 200);
      const t = text(page.body);
      assert.match(t, /bob \(1\)/);
      assert.match(t, /Invoice web/);
      assert.match(t, /possible duplicate: same content as delivery #\d+/);
      assert.match(page.body, /href="\/duplicates" aria-current="page"/, 'linked from the navigation');
      const r = await b.post(`/duplicates/${held.deliveryId}/release`, {});
      assert.match(text((await b.follow(r)).body), new RegExp(`Released #${held.deliveryId} to bob's INBOX as UID \\d+: Invoice web`));
      assert.deepEqual(await h.ctx.store.held.list('bob'), []);
      const inbox = (await h.ctx.store.mailboxes.list('bob')).find((m) => m.name === 'INBOX')!;
      assert.ok((await h.ctx.store.mailboxes.messages(inbox.id)).some((m) => m.messageId === 'web.2@billing.remote.test'));
      // Released twice (another admin was quicker): said so, nothing else happens.
      await b.get('/duplicates');
      const again = await b.post(`/duplicates/${held.deliveryId}/release`, {});
      assert.match(text((await b.follow(again)).body), /No held copy #\d+: it was released or expired meanwhile/);
    });

    it('refuses a release without the CSRF token, and sends a logged-out visitor to the login page', async () => {
      const held = await holdOne('csrf');
      await b.get('/duplicates');
      const forged = await b.post(`/duplicates/${held.deliveryId}/release`, {}, false);
      assert.equal(forged.statusCode, 403);
      assert.equal((await h.ctx.store.held.list('bob')).length, 1, 'still held');
      const anon = new Browser(h.app);
      const get = await anon.get('/duplicates');
      assert.equal(get.statusCode, 303);
      assert.equal(get.headers.location, '/login?next=%2Fduplicates');
      const post = await anon.post(`/duplicates/${held.deliveryId}/release`, {});
      assert.equal(post.headers.location, '/login');
      assert.equal((await h.ctx.store.held.list('bob')).length, 1, 'still held');
    });
  });
});
