/** The pages' happy paths and validation errors (inject): users, collectors, settings, dashboard. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyPassword } from '../../src/auth/passwords.js';
import { startFakePop3, type FakePop3Server } from '../fixtures/fake-pop3-server.js';
import { message } from '../helpers/messages.js';
import { adminHarness, Browser, text, type AdminHarness } from './helpers.js';

describe('admin pages', () => {
  let h: AdminHarness;
  let b: Browser;
  let pop: FakePop3Server;
  before(async () => {
    h = await adminHarness();
    b = new Browser(h.app);
    await b.login();
    pop = await startFakePop3({
      users: { office: 'isp-pw' },
      messages: [message({ subject: 'For Bob', to: 'bob@example.test', messageId: '<a1@remote.test>' }), message({ subject: 'For Jane', to: 'jane@example.test', messageId: '<a2@remote.test>' })],
    });
  });
  after(async () => {
    await pop.close();
    await h.cleanup();
  });

  it('adds a user with a hashed password, through the configuration layer', async () => {
    const before = await h.ctx.store.config.generation();
    await b.get('/users/new');
    const r = await b.post('/users', { name: 'carol', addresses: 'carol@example.test\nc.smith@example.test', password: 'carol-pw-1' });
    const page = await b.follow(r);
    assert.match(text(page.body), /Added user carol/);
    assert.match(text(page.body), /user carol: added/);
    const u = await h.ctx.store.users.get('carol');
    assert.deepEqual(u?.addresses, ['carol@example.test', 'c.smith@example.test']);
    assert.equal(u?.admin, false);
    assert.ok(await verifyPassword(u!.passwordHash, 'carol-pw-1'));
    assert.ok((await h.ctx.store.config.generation()) > before, 'the running server sees a new generation');
  });

  it('shows validation errors by key and keeps what was typed', async () => {
    await b.get('/users/new');
    const r = await b.post('/users', { name: 'dave', addresses: 'not-an-address\nbob@example.test', password: 'pw-dave-1' });
    assert.equal(r.statusCode, 400);
    const t = text(r.body);
    assert.match(t, /Nothing was saved/);
    assert.match(t, /users\[\d\]\.addresses\[0\]: not an e-mail address/);
    assert.match(r.body, /not-an-address/, 'the typed value is kept');
    assert.equal(await h.ctx.store.users.get('dave'), undefined);
    // The cross-checks of config apply run too: an address owned twice.
    await b.get('/users/new');
    const dup = await b.post('/users', { name: 'dave', addresses: 'bob@example.test', password: 'pw-dave-1' });
    assert.match(text(dup.body), /bob@example\.test already belongs to user "bob"/);
    await b.get('/users/new');
    const bad = await b.post('/users', { name: 'Dave Smith', password: 'pw' });
    assert.match(text(bad.body), /users\[\d\]\.name: use lower-case letters/);
    await b.get('/users/new');
    const nopw = await b.post('/users', { name: 'dave', password: '' });
    assert.match(text(nopw.body), /a new user needs a password/);
  });

  it('edits addresses and password; an empty password keeps the old one', async () => {
    const hash = (await h.ctx.store.users.get('jane'))!.passwordHash;
    await b.get('/users/jane');
    const r = await b.post('/users/jane', { addresses: 'jane@example.test, j.doe@example.test', password: '' });
    assert.match(text((await b.follow(r)).body), /addresses jane@example\.test → jane@example\.test, j\.doe@example\.test/);
    const u = (await h.ctx.store.users.get('jane'))!;
    assert.deepEqual(u.addresses, ['jane@example.test', 'j.doe@example.test']);
    assert.equal(u.passwordHash, hash);
    await b.get('/users/jane');
    await b.post('/users/jane', { addresses: 'jane@example.test', password: 'jane-new-pw' });
    assert.ok(await verifyPassword((await h.ctx.store.users.get('jane'))!.passwordHash, 'jane-new-pw'));
  });

  it('removes a user after a confirmation that says the mail is kept', async () => {
    const confirm = await b.get('/users/carol/remove');
    assert.match(text(confirm.body), /Their mail is kept/);
    const r = await b.post('/users/carol/remove', {});
    assert.match(text((await b.follow(r)).body), /Removed user carol\. Their mail is kept/);
    assert.equal(await h.ctx.store.users.get('carol'), undefined);
    // Nobody can remove themselves, nor take away the last admin.
    await b.get('/users/postmaster/remove');
    const self = await b.post('/users/postmaster/remove', {});
    assert.match(text((await b.follow(self)).body), /cannot remove yourself/);
    await b.get('/users/postmaster');
    const demote = await b.post('/users/postmaster', { addresses: 'postmaster@example.test' });
    assert.equal(demote.statusCode, 400);
    assert.match(text(demote.body), /at least one user must stay an admin/);
    assert.equal((await h.ctx.store.users.get('postmaster'))!.admin, true);
  });

  it('adds a collector; routing to an unknown user is refused with the key named', async () => {
    const form = { name: 'office-isp', protocol: 'pop3', host: '127.0.0.1', port: String(pop.port), security: 'none', user: 'office', password: 'isp-pw', intervalSeconds: '300', timeoutSeconds: '5', routingMode: 'user', target: 'nobody', leaveOnServerDays: '0', removeDuplicates: '1', verifyCertificate: '1' };
    await b.get('/collectors/new');
    const bad = await b.post('/collectors', form);
    assert.equal(bad.statusCode, 400);
    assert.match(text(bad.body), /collectors\[0\]\.routing\.target: no user or list named "nobody"/);
    await b.get('/collectors/new');
    const badPort = await b.post('/collectors', { ...form, port: 'abc', target: 'bob' });
    assert.match(text(badPort.body), /collectors\[0\]\.port: .*number/);
    await b.get('/collectors/new');
    const ok = await b.post('/collectors', { ...form, routingMode: 'headers', envelopeHeaders: 'Delivered-To\nX-Original-To', target: '' });
    assert.match(text((await b.follow(ok)).body), /collector office-isp: added/);
    const c = (await h.ctx.store.config.snapshot()).collectors[0]!;
    assert.equal(c.password, 'isp-pw');
    assert.equal(c.enabled, false, 'an unticked checkbox is false');
    assert.deepEqual(c.routing, { mode: 'headers', envelopeHeaders: ['Delivered-To', 'X-Original-To'] });
  });

  it('edits a collector without retyping its password', async () => {
    const page = await b.get('/collectors/office-isp');
    assert.match(text(page.body), /Leave empty to keep the saved password/);
    assert.doesNotMatch(page.body, /isp-pw/, 'the password is never sent to the browser');
    const r = await b.post('/collectors/office-isp', { name: 'office-isp', protocol: 'pop3', host: '127.0.0.1', port: String(pop.port), security: 'none', user: 'office', password: '', intervalSeconds: '60', timeoutSeconds: '5', routingMode: 'headers', envelopeHeaders: 'Delivered-To', enabled: '1', removeDuplicates: '1', leaveOnServerDays: '0' });
    assert.match(text((await b.follow(r)).body), /collector office-isp: changed/);
    const c = (await h.ctx.store.config.snapshot()).collectors[0]!;
    assert.equal(c.password, 'isp-pw');
    assert.equal(c.intervalSeconds, 60);
    assert.equal(c.enabled, true);
  });

  it('dry-runs the routing without downloading, then runs it now and shows the counts', async () => {
    await b.get('/collectors');
    const dry = await b.post('/collectors/office-isp/dry-run', {});
    assert.equal(dry.statusCode, 200);
    const t = text(dry.body);
    assert.match(t, /For Bob bob/);
    assert.match(t, /For Jane jane/);
    assert.equal(pop.messages.length, 2, 'nothing deleted by the dry run');
    await b.get('/collectors');
    const run = await b.post('/collectors/office-isp/run', {});
    const list = text((await b.follow(run)).body);
    assert.match(list, /office-isp: 2 on server, 2 downloaded, 2 delivered/);
    assert.match(list, /2 downloaded · 2 delivered/, 'the list shows the last run');
    assert.equal(pop.messages.length, 0, 'deleted from the ISP once delivered');
    const dash = text((await b.get('/')).body);
    assert.match(dash, /office-isp .*2 on server · 2 downloaded · 2 delivered · 0 suppressed/);
  });

  it('removes a collector after confirmation', async () => {
    assert.match(text((await b.get('/collectors/office-isp/remove')).body), /Mail it already delivered stays/);
    const r = await b.post('/collectors/office-isp/remove', {});
    assert.match(text((await b.follow(r)).body), /Removed collector office-isp/);
    assert.equal((await h.ctx.store.config.snapshot()).collectors.length, 0);
  });

  it('changes settings; bad values are refused by key and change nothing', async () => {
    const base = { hostname: 'mail.example.test', domains: 'example.test', unknownRecipient: 'postmaster', address: '127.0.0.1', smtp: '2525', submission: '2587', pop3: '2110', pop3s: '0', imap: '2143', imaps: '0', admin: '8080', globalDays: '7', contentMatch: 'hold', heldDays: '30' };
    await b.get('/settings');
    const bad = await b.post('/settings', { ...base, domains: '', globalDays: '-1', pop3: '70000' });
    assert.equal(bad.statusCode, 400);
    const t = text(bad.body);
    assert.match(t, /domains: at least one local domain is needed/);
    assert.match(t, /duplicates\.globalDays: /);
    assert.match(t, /listen\.pop3: /);
    assert.equal((await h.ctx.store.config.settings()).duplicates.globalDays, 7);
    await b.get('/settings');
    const ok = await b.post('/settings', { ...base, hostname: 'post.example.test', domains: 'example.test\nexample.org', globalDays: '14', contentMatch: 'deliver' });
    const page = text((await b.follow(ok)).body);
    assert.match(page, /setting hostname: "mail\.example\.test" → "post\.example\.test"/);
    assert.match(page, /setting duplicates\.globalDays: 7 → 14/);
    const s = await h.ctx.store.config.settings();
    assert.equal(s.hostname, 'post.example.test');
    assert.deepEqual(s.domains, ['example.test', 'example.org']);
    assert.equal(s.duplicates.contentMatch, 'deliver');
    // Saving the same values again changes nothing.
    await b.get('/settings');
    const same = await b.post('/settings', { ...base, hostname: 'post.example.test', domains: 'example.test\nexample.org', globalDays: '14', contentMatch: 'deliver' });
    assert.match(text((await b.follow(same)).body), /Nothing changed/);
  });

  it('refuses an edit made from a stale page instead of overwriting', async () => {
    const { editConfig } = await import('../../src/config/edit.js');
    // Another process changes the configuration between the snapshot and the write.
    let sneaked = false;
    const store = h.ctx.store;
    const replace = store.config.replace.bind(store.config);
    store.config.replace = async (plan) => {
      if (!sneaked) {
        sneaked = true;
        await store.users.setPassword('bob', (await store.users.get('jane'))!.passwordHash!);
      }
      return replace(plan);
    };
    try {
      await assert.rejects(editConfig(store, (doc) => void (doc.hostname = 'x.example.test')), /changed by someone else meanwhile/);
      assert.equal((await store.config.settings()).hostname, 'post.example.test');
    } finally {
      store.config.replace = replace;
    }
  });
});
