/**
 * End to end in headless Chromium (playwright-core with Debian's /usr/bin/chromium): the real
 * server (`startServer`) with the admin pages on a free port, a private Dovecot as the ISP. Log in,
 * add a user, add a collector pointing at Dovecot, run it now and see the counts, change a setting
 * and see the running server apply it, release a held duplicate, delete a queue entry, see the doctor,
 * find a collected message in the message trace with its timeline, and filter and follow the log.
 * Screenshots of each page (1280×800) go to test-artifacts/admin/.
 */
import assert from 'node:assert/strict';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { parseConfigText } from '../../src/config/load.js';
import { applyConfig } from '../../src/config/apply.js';
import { saveCollector } from '../../src/config/edit.js';
import { openDataDir } from '../../src/server/data-dir.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { startDovecot, type DovecotInstance } from '../fixtures/dovecot.js';
import { startFakePop3 } from '../fixtures/fake-pop3-server.js';
import { fakeSmarthost } from '../fixtures/fake-smarthost.js';
import { freePort } from '../helpers/cli.js';
import { tempDir } from '../helpers/context.js';
import { message } from '../helpers/messages.js';
import { RawClient } from '../access/pop3/harness.js';

const SHOTS = path.resolve('test-artifacts/admin');


describe('admin pages in Chromium', { timeout: 90_000 }, () => {
  let dir: string;
  let profile: string;
  let server: RunningServer;
  let isp: DovecotInstance;
  let browser: BrowserContext;
  let page: Page;
  let base: string;
  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: false });

  before(async () => {
    await mkdir(SHOTS, { recursive: true });
    isp = await startDovecot({
      tls: false,
      users: [{ name: 'office', password: 'isp-pw', messages: [message({ subject: 'Invoice 1', messageId: '<i1@isp.test>' }), message({ subject: 'Invoice 2', messageId: '<i2@isp.test>' })] }],
    });
    dir = await tempDir('postroom-admin-e2e-');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // The server's log goes where `postroom start` puts it (DATA/logs), for the Logs page.
    const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'info' }, pino.destination({ dest: path.join(dir, 'logs', 'postroom.1.log'), mkdir: true, sync: true }));
    const ctx = await openDataDir(dir, log);
    const yaml = `hostname: mail.example.test
domains: [example.test]
listen: { address: 127.0.0.1, smtp: 0, submission: 0, pop3: ${await freePort()}, imap: 0, admin: ${port} }
users:
  - { name: postmaster, password: admin-pw-1, addresses: [postmaster@example.test], admin: true }
  - { name: bob, password: bobpw, addresses: [bob@example.test] }
`;
    const { config } = parseConfigText(yaml, 'e2e.yaml');
    await applyConfig(ctx.store, config, { file: 'e2e.yaml', prune: false, dryRun: false, unknownRecipientGiven: false });
    await ctx.close();
    server = await startServer(dir, log, () => {});
    profile = await tempDir('postroom-chromium-');
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      viewport: { width: 1280, height: 800 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = browser.pages()[0] ?? (await browser.newPage());
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await isp?.stop();
    if (profile) await rm(profile, { recursive: true, force: true });
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('logs in', async () => {
    await page.goto(`${base}/users`);
    assert.match(page.url(), /\/login\?next=%2Fusers$/);
    await shot('01-login');
    await page.getByLabel('Name or address').fill('postmaster');
    await page.getByLabel('Password').fill('admin-pw-1');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${base}/users`);
    const cookie = (await browser.cookies(base)).find((c) => c.name === 'postroom_session');
    assert.equal(cookie?.httpOnly, true);
    assert.equal(cookie?.sameSite, 'Strict');
  });

  it('adds a user', async () => {
    await page.getByRole('link', { name: 'Add a user' }).click();
    await page.getByLabel('Login name').fill('jane');
    await page.getByLabel('E-mail addresses').fill('jane@example.test');
    await page.getByLabel('Password').fill('jane-pw-1');
    await shot('02-user-form');
    await page.getByRole('button', { name: 'Add user' }).click();
    await page.getByText('Added user jane').waitFor();
    await shot('03-users');
    assert.deepEqual((await server.ctx.store.users.get('jane'))?.addresses, ['jane@example.test']);
  });

  it('adds a collector for the test Dovecot, runs it now and shows the counts', async () => {
    await page.getByRole('link', { name: 'Mail collectors' }).click();
    await page.getByRole('link', { name: 'Add a mail collector' }).click();
    await page.getByLabel('Name', { exact: true }).fill('office-isp');
    await page.getByLabel('Security', { exact: true }).selectOption('none');
    await page.getByLabel('Server', { exact: true }).fill('127.0.0.1');
    await page.getByLabel('Port', { exact: true }).fill(String(isp.ports.pop3));
    await page.getByLabel('Mailbox user name').fill('office');
    await page.getByLabel('Mailbox password').fill('isp-pw');
    await page.getByLabel('Enabled (runs on its schedule)').uncheck();
    await page.getByLabel('User or list', { exact: true }).selectOption('bob');
    await shot('04-collector-form');
    await page.getByRole('button', { name: 'Add collector' }).click();
    await page.getByText('collector office-isp: added').waitFor();

    await page.getByRole('button', { name: 'Dry run' }).click();
    await page.getByText('Nothing was downloaded or deleted').waitFor();
    assert.equal(await page.getByRole('cell', { name: 'Invoice 1' }).count(), 1);
    await shot('05-collector-dry-run');
    await page.getByRole('link', { name: 'Back to mail collectors' }).click();

    await page.getByRole('button', { name: 'Run now' }).click();
    await page.getByText('office-isp: 2 on server, 2 downloaded, 2 delivered').waitFor();
    await shot('06-collectors');
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByText('2 on server · 2 downloaded · 2 delivered').waitFor();
    const inbox = (await server.ctx.store.mailboxes.list('bob')).find((m) => m.name === 'INBOX')!;
    assert.equal(inbox.messageCount, 2);
  });

  it('changes a setting and the running server applies it', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    await shot('07-settings');
    await page.getByLabel('Host name').fill('post.example.test');
    await page.getByLabel('Window (days)').fill('14');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('setting hostname: "mail.example.test" → "post.example.test"').waitFor();
    // The server reloads within a second; the dashboard shows what the running services use.
    await page.getByRole('link', { name: 'Dashboard' }).click();
    for (let i = 0; i < 20 && !(await page.getByText('Host name post.example.test').count()); i++) {
      await new Promise((r) => setTimeout(r, 250));
      await page.reload();
    }
    await page.getByText('Host name post.example.test').waitFor({ timeout: 1000 });
    await shot('08-dashboard');
    const health = (await (await fetch(`${base}/api/health`)).json()) as { hostname: string };
    assert.equal(health.hostname, 'post.example.test');
  });

  it('releases a held duplicate, and shows the queue and the doctor', async () => {
    const body = 'Statement attached.\r\n';
    const ingest = (n: number) =>
      server.ctx.pipeline.ingest({ source: { kind: 'smtp', name: '198.51.100.7' }, routing: { mode: 'envelope', recipients: ['bob@example.test'] }, content: [message({ subject: 'Statement', body, messageId: `<s${n}@bank.test>` })] });
    await ingest(1);
    const held = (await ingest(2)).results[0]!;
    assert.equal(held.outcome, 'held');
    await page.getByRole('link', { name: 'Possible duplicates' }).click();
    await page.getByRole('cell', { name: 'Statement' }).waitFor();
    await shot('10-duplicates');
    await page.getByRole('link', { name: `Diagnose #${held.deliveryId}` }).click();
    await page.getByText('What to do:').waitFor();
    await shot('22-duplicate-diagnosis');
    await page.getByRole('link', { name: '← Possible duplicates' }).click();
    await page.getByRole('button', { name: `Release #${held.deliveryId} to bob's INBOX` }).click();
    await page.getByText(`Released #${held.deliveryId} to bob's INBOX`).waitFor();
    assert.deepEqual(await server.ctx.store.held.list('bob'), []);

    await server.ctx.pipeline.ingest({ source: { kind: 'smtp', name: '127.0.0.1', envelopeFrom: 'bob@example.test' }, routing: { mode: 'envelope', recipients: ['partner@remote.test'] }, content: [message({ subject: 'Out', to: 'partner@remote.test' })] });
    await page.getByRole('link', { name: 'Queue' }).click();
    await page.getByText('bob@example.test → partner@remote.test').waitFor();
    await shot('11-queue');
    await page.getByRole('link', { name: 'Delete…' }).click();
    await page.getByRole('button', { name: /Delete entry/ }).click();
    await page.getByText('deleted from the queue').waitFor();
    assert.equal((await server.ctx.store.outbound.list()).length, 0);

    await page.getByRole('link', { name: 'Doctor' }).click();
    await page.getByText('store integrity check passed').waitFor();
    await shot('12-doctor');
  });

  it('adds a mailing list with members on the Lists page, and the dashboard shows the queue and today’s duplicates', async () => {
    await page.getByRole('link', { name: 'Lists', exact: true }).click();
    await page.getByRole('link', { name: 'Add a list' }).click();
    await page.getByLabel('Name', { exact: true }).fill('board');
    await page.getByLabel('Address', { exact: true }).fill('board@example.test');
    await page.getByLabel(/^Mailing list/).check();
    await page.getByLabel('Members', { exact: true }).fill('bob\njane\nadvisor@elsewhere.test');
    await page.getByLabel(/^Members only/).check();
    await shot('17-list-form');
    await page.getByRole('button', { name: 'Add list' }).click();
    await page.getByText('list board: added').waitFor();
    await shot('16-lists');
    assert.deepEqual(await server.ctx.store.config.list('board'), { name: 'board', address: 'board@example.test', type: 'mailing', members: ['bob', 'jane', 'advisor@elsewhere.test'], membersOnly: true });
    assert.deepEqual(await server.ctx.store.config.ownerOf('board@example.test'), { kind: 'list', name: 'board' });

    // One message waiting for the smarthost; the copy held earlier today is counted (released or not).
    await server.ctx.pipeline.ingest({ source: { kind: 'smtp', name: '127.0.0.1', envelopeFrom: 'bob@example.test' }, routing: { mode: 'envelope', recipients: ['partner@remote.test'] }, content: [message({ subject: 'Later', to: 'partner@remote.test' })] });
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByText('1 waiting in the queue').waitFor();
    assert.match(await page.locator('#stat-dupes').locator('..').innerText(), /0 suppressed · 1 held/);
    await shot('18-dashboard');
    await page.getByRole('link', { name: 'Duplicates today' }).click();
    await page.waitForURL(`${base}/duplicates`);
  });

  it('Run now shows live progress, then the final counts; the last session’s log is one click away', async () => {
    // A slow ISP: message 3 of 5 stalls for the collector's 2 s timeout, so the progress is seen mid-session.
    const mail = (i: number) => message({ subject: `Slow ${i}`, messageId: `<slow-${i}@isp.test>` });
    const faults: { cutRetr?: { id: number; afterBytes: number; then: 'stall' } } = { cutRetr: { id: 3, afterBytes: 40, then: 'stall' } };
    const pop = await startFakePop3({ messages: [1, 2, 3, 4, 5].map(mail), users: { isp: 'pw' }, faults });
    try {
      await saveCollector(server.ctx.store, null, { name: 'slow-isp', protocol: 'pop3', host: '127.0.0.1', port: pop.port, security: 'none', user: 'isp', password: 'pw', timeoutSeconds: 2, enabled: false, routing: { mode: 'user', target: 'jane' } });
      await page.getByRole('link', { name: 'Mail collectors' }).click();
      const row = page.locator('tr[data-collector="slow-isp"]');
      await row.getByRole('button', { name: 'Run now' }).click();
      await row.getByText('Downloading 2 of 5 new messages: 5 on server, 2 downloaded, 0 delivered so far.').waitFor();
      assert.equal(await row.getByRole('button', { name: 'Run now' }).isDisabled(), true);
      await shot('21-run-progress');
      await row.getByText(/^slow-isp: 5 on server, 2 downloaded, 2 delivered, .*1 error: .*did not answer in time/).waitFor({ timeout: 6000 });
      assert.equal(page.url(), `${base}/collectors`, 'the script ran it: no form post');
      assert.equal(await row.getByText('not run since the server started').count(), 0, 'the summary replaced the counts the page was loaded with');

      await row.getByRole('link', { name: 'Last session’s log' }).click();
      await page.getByText(`connecting to POP3 isp at 127.0.0.1:${pop.port} (none)`).waitFor();
      await page.getByRole('cell', { name: '5 messages on the server, 5 not downloaded yet' }).waitFor();
      assert.ok((await page.getByRole('cell', { name: /no answer to RETR 3/ }).count()) >= 1);
      await shot('19-collector-log');

      // The ISP recovers: the next run finishes the job and deletes what was delivered.
      delete faults.cutRetr;
      await page.getByRole('navigation').getByRole('link', { name: 'Mail collectors' }).click();
      await row.getByRole('button', { name: 'Run now' }).click();
      await row.getByText(/^slow-isp: 5 on server, 3 downloaded, 3 delivered, .*5 deleted/).waitFor();
      assert.equal(await row.getByRole('link', { name: 'Last session’s log' }).count(), 1);
      assert.equal((await server.ctx.store.mailboxes.list('jane')).find((m) => m.name === 'INBOX')!.messageCount, 5);
    } finally {
      await pop.close();
    }
  });

  it('Settings: the relay’s Test connection shows each step', async () => {
    const smarthost = await fakeSmarthost();
    try {
      await page.getByRole('link', { name: 'Settings' }).click();
      await page.getByLabel('Host', { exact: true }).fill('127.0.0.1');
      await page.getByLabel('Port', { exact: true }).fill(String(smarthost.port));
      await page.getByLabel('Security', { exact: true }).selectOption('none');
      await page.getByLabel('User', { exact: true }).fill('relayuser');
      await page.getByLabel('Password', { exact: true }).fill('relaypw');
      await page.getByRole('button', { name: 'Save settings' }).click();
      await page.getByText(/setting relay/).first().waitFor();
      await page.getByRole('button', { name: 'Test connection' }).click();
      await page.getByText(`relay 127.0.0.1:${smarthost.port} (none) answers and accepts the login of relayuser`).waitFor();
      await page.locator('#relay').scrollIntoViewIfNeeded();
      assert.match(await page.locator('#relay-test').innerText(), /AUTH: ok — logged in as relayuser/);
      await shot('20-settings-relay-test');
    } finally {
      await smarthost.close();
    }
  });

  it('finds a message in the trace, with its timeline, and shows the log', async () => {
    // Bob's mail program downloads his INBOX over POP3 first: the trace shows that fetch too.
    const pop = await RawClient.connect((await server.ctx.store.config.settings()).listen.pop3);
    await pop.login('bob', 'bobpw');
    const count = Number(/^\+OK (\d+)/.exec(await pop.command('STAT'))![1]);
    for (let i = 1; i <= count; i++) {
      pop.send(`RETR ${i}`);
      await pop.line();
      await pop.multiline();
    }
    await pop.command('QUIT');
    await pop.waitClosed();

    await page.getByRole('link', { name: 'Message trace' }).click();
    await page.getByLabel('Search for').fill('Invoice 1');
    await page.getByLabel('In', { exact: true }).selectOption('subject');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('Messages matching “Invoice 1”').waitFor();
    assert.equal(await page.getByRole('link', { name: 'Invoice 1', exact: true }).count(), 1);
    await shot('13-trace');
    await page.getByRole('link', { name: 'Invoice 1', exact: true }).click();
    await page.getByText(/arrived from collector office-isp: pop3:\/\/office@127\.0\.0\.1:\d+, UIDL \S+/).waitFor();
    await page.getByText(/delivered to bob: INBOX, UID \d+/).waitFor();
    await page.getByText(/first fetched by bob's mail client \(POP3 RETR from 127\.0\.0\.1\)/).waitFor();
    await shot('14-trace-message');

    await page.getByRole('link', { name: 'Logs', exact: true }).click();
    await page.getByLabel('Source').selectOption('collector office-isp');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/\/logs\?level=info&source=collector\+office-isp/);
    const sources = await page.locator('#log tbody td:nth-child(3)').allInnerTexts();
    assert.ok(sources.length > 0 && sources.every((s) => s === 'collector office-isp'), sources.join(', '));

    // Follow: a line logged after the page loaded shows up without a reload.
    await page.getByLabel('Source').selectOption('pop3');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByLabel(/^Follow/).check();
    const jane = await RawClient.connect((await server.ctx.store.config.settings()).listen.pop3);
    await jane.login('jane', 'jane-pw-1');
    await jane.command('QUIT');
    await page.getByText(/user=jane/).first().waitFor({ timeout: 10_000 });
    await shot('15-logs');
  });

  it('shows the password page and logs out', async () => {
    await page.getByRole('link', { name: 'Change password' }).click();
    await shot('09-password');
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByText('You are logged out.').waitFor();
    await page.goto(`${base}/settings`);
    assert.match(page.url(), /\/login/);
  });
});
