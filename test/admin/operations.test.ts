/** The operations pages (inject): Possible duplicates, Queue, Doctor; their actions, CSRF and the login gate. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../helpers/cli.js';
import { officeYaml } from '../helpers/context.js';
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
      // Diagnose: the held copy against the one it matched, with the cause and what to do.
      assert.match(page.body, new RegExp(`href="/duplicates/${held.deliveryId}/diagnose"`));
      const why = await b.get(`/duplicates/${held.deliveryId}/diagnose`);
      assert.equal(why.statusCode, 200);
      const wt = text(why.body);
      assert.match(wt, new RegExp(`Why #${held.deliveryId} was held`));
      assert.match(wt, /2 copies \(1 delivered, 1 held\)/);
      assert.match(wt, /the sender gave each copy its own Message-ID/);
      assert.match(wt, /What to do:/);
      const r = await b.post(`/duplicates/${held.deliveryId}/release`, {});
      assert.match(text((await b.follow(r)).body), new RegExp(`Released #${held.deliveryId} to bob's INBOX as UID \\d+: Invoice web`));
      assert.deepEqual(await h.ctx.store.held.list('bob'), []);
      const inbox = (await h.ctx.store.mailboxes.list('bob')).find((m) => m.name === 'INBOX')!;
      assert.ok((await h.ctx.store.mailboxes.messages(inbox.id)).some((m) => m.messageId === 'web.2@billing.remote.test'));
      // Released twice (another admin was quicker): said so, nothing else happens.
      await b.get('/duplicates');
      const again = await b.post(`/duplicates/${held.deliveryId}/release`, {});
      assert.match(text((await b.follow(again)).body), /No held copy #\d+: it was released or expired meanwhile/);
      assert.match(text((await b.follow(await b.get(`/duplicates/${held.deliveryId}/diagnose`))).body), /No held copy #\d+/);
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
  describe('Queue', () => {
    /** A message bob sends to two outside addresses: two queue entries. */
    async function queueTwo(tag: string) {
      await h.ctx.pipeline.ingest({ source: { kind: 'smtp', name: '127.0.0.1', envelopeFrom: 'bob@example.test' }, routing: { mode: 'envelope', recipients: [`${tag}-a@remote.test`, `${tag}-b@remote.test`] }, content: [message({ subject: `Out ${tag}`, to: `${tag}-a@remote.test` })] });
      const rows = (await h.ctx.store.outbound.list()).filter((r) => r.recipient.startsWith(`${tag}-`));
      assert.equal(rows.length, 2);
      return rows;
    }

    it('lists the queue; Retry makes an entry due now, Delete (after a confirmation) removes it', async () => {
      const [a, bRow] = await queueTwo('q');
      const later = Date.now() + 3600_000;
      await h.ctx.store.outbound.deferred([a!.id], '451 4.3.0 try later', Date.now(), later);
      await h.ctx.store.outbound.failed([bRow!.id], '550 5.1.1 no such user', Date.now());
      const page = await b.get('/queue');
      assert.equal(page.statusCode, 200);
      const t = text(page.body);
      assert.match(t, new RegExp(`${a!.id} queued bob@example\.test → q-a@remote\.test .*451 4\.3\.0 try later`));
      assert.match(t, new RegExp(`${bRow!.id} bounced bob@example\.test → q-b@remote\.test .*550 5\.1\.1 no such user`));
      assert.match(page.body, /href="\/queue" aria-current="page"/, 'linked from the navigation');
      assert.match(page.body, new RegExp(`action="/queue/${a!.id}/retry"`));
      assert.doesNotMatch(page.body, new RegExp(`action="/queue/${bRow!.id}/retry"`), 'a bounced entry has no Retry');

      const r = await b.post(`/queue/${a!.id}/retry`, {});
      assert.match(text((await b.follow(r)).body), new RegExp(`${a!.id}: will be retried at the next pass`));
      assert.ok((await h.ctx.store.outbound.get(a!.id))!.nextAttemptAt < later, 'due now');
      const again = await b.post(`/queue/${bRow!.id}/retry`, {});
      assert.match(text((await b.follow(again)).body), /No queued entry \d+/);

      const confirm = await b.get(`/queue/${a!.id}/delete`);
      assert.match(text(confirm.body), /will not be sent , and the sender is not told/);
      const del = await b.post(`/queue/${a!.id}/delete`, {});
      assert.match(text((await b.follow(del)).body), new RegExp(`${a!.id}: deleted from the queue`));
      assert.equal(await h.ctx.store.outbound.get(a!.id), undefined);
      assert.equal((await b.get(`/queue/${a!.id}/delete`)).statusCode, 404);
    });

    it('refuses Retry and Delete without the CSRF token, and sends a logged-out visitor to the login page', async () => {
      const [a] = await queueTwo('c');
      const later = Date.now() + 3600_000;
      await h.ctx.store.outbound.deferred([a!.id], '451 later', Date.now(), later);
      await b.get('/queue');
      assert.equal((await b.post(`/queue/${a!.id}/retry`, {}, false)).statusCode, 403);
      assert.equal((await b.post(`/queue/${a!.id}/delete`, {}, false)).statusCode, 403);
      const row = await h.ctx.store.outbound.get(a!.id);
      assert.equal(row?.nextAttemptAt, later, 'not retried');
      const anon = new Browser(h.app);
      const get = await anon.get('/queue');
      assert.equal(get.statusCode, 303);
      assert.equal(get.headers.location, '/login?next=%2Fqueue');
      assert.equal((await anon.post(`/queue/${a!.id}/delete`, {})).headers.location, '/login');
      assert.ok(await h.ctx.store.outbound.get(a!.id), 'not deleted');
    });
  });
});

describe('admin Doctor page', () => {
  let h: AdminHarness;
  let b: Browser;
  before(async () => {
    // A personal ISP mailbox routed by headers (a finding with its fix), and a relay nobody answers on.
    const port = await freePort();
    h = await adminHarness(`${officeYaml}relay: { host: 127.0.0.1, port: ${port}, security: none }\ncollectors:\n  - { name: bob-isp, protocol: pop3, host: pop.isp.example, user: bob@example.test, password: x, routing: { mode: headers } }\n`);
    b = new Browser(h.app);
    await b.login();
  });
  after(async () => h.cleanup());

  it('shows the findings of postroom doctor with their fixes, without the relay check', async () => {
    const page = await b.get('/doctor');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /href="\/doctor" aria-current="page"/, 'linked from the navigation');
    const t = text(page.body);
    assert.match(t, /0 errors, 1 warning\./);
    assert.match(t, /Warning routing collector "bob-isp" downloads bob@example\.test.* set routing: \{ mode: user, target: bob \} on collector "bob-isp"/, 'a finding with its fix');
    assert.match(t, /OK store store integrity check passed/);
    assert.doesNotMatch(t, /cannot reach the relay/, 'no network by default');
    // The same findings as the CLI's, from the same function.
    const { runDoctor } = await import('../../src/diagnose/doctor.js');
    for (const f of (await runDoctor(h.ctx.store, h.ctx.dataDir, { network: false })).findings) {
      assert.ok(t.includes(text(f.message).trim()), f.message);
      if (f.fix) assert.ok(t.includes(text(f.fix).trim()), f.fix);
    }
  });

  it('runs the relay check from its button; refuses it without the CSRF token; logged out goes to login', async () => {
    await b.get('/doctor');
    const r = await b.post('/doctor/relay', {});
    assert.equal(r.statusCode, 200);
    const t = text(r.body);
    assert.match(t, /Error relay cannot reach the relay 127\.0\.0\.1:\d+ \(none\): .*ECONNREFUSED/);
    assert.match(t, /check relay\.host, relay\.port and relay\.security/);
    const forged = await b.post('/doctor/relay', {}, false);
    assert.equal(forged.statusCode, 403);
    assert.doesNotMatch(text(forged.body), /cannot reach the relay/);
    const anon = new Browser(h.app);
    const get = await anon.get('/doctor');
    assert.equal(get.statusCode, 303);
    assert.equal(get.headers.location, '/login?next=%2Fdoctor');
    assert.equal((await anon.post('/doctor/relay', {})).headers.location, '/login');
  });
});
