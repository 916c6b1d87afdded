/** The Message trace and Logs pages and their JSON API (inject), over the real pipeline and log files. */
import assert from 'node:assert/strict';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { message } from '../helpers/messages.js';
import { adminHarness, Browser, text, type AdminHarness } from './helpers.js';

const T0 = Date.parse('2026-11-28T09:00:00Z');
const line = (level: number, minutes: number, msg: string, fields: Record<string, unknown> = {}) => JSON.stringify({ level, time: T0 + minutes * 60_000, pid: 1, ...fields, msg });

describe('admin message trace and logs', () => {
  let h: AdminHarness;
  let b: Browser;
  let invoice = 0;
  before(async () => {
    h = await adminHarness();
    b = new Browser(h.app);
    await b.login();
    const p = h.ctx.pipeline;
    invoice = (
      await p.ingest({
        source: { kind: 'collector', name: 'office-isp', remoteId: 'pop3://office@isp.test:110 U1', detail: { protocol: 'pop3', mailbox: 'pop3://office@isp.test:110', uid: 'U1' } },
        routing: { mode: 'headers', envelopeHeaders: ['Delivered-To'] },
        content: [message({ subject: 'Invoice 1', to: 'bob@example.test', messageId: '<inv1@remote.test>' })],
        journal: { mailboxKey: 'pop3://office@isp.test:110', remoteId: 'U1', collector: 'office-isp' },
      })
    ).ingestId;
    await p.ingest({ source: { kind: 'smtp', name: 'mx.remote.test [192.0.2.9]' }, routing: { mode: 'envelope', recipients: ['jane@example.test'] }, content: [message({ subject: 'Lunch', to: 'jane@example.test', messageId: '<l1@remote.test>' })] });
    // Two log files: the rotated one older. Lines are read newest first across both.
    const logs = path.join(h.ctx.dataDir, 'logs');
    await mkdir(logs, { recursive: true });
    await writeFile(path.join(logs, 'postroom.1.log'), [line(30, 1, 'server started'), line(20, 2, 'debug noise', { service: 'pop3' })].join('\n') + '\n');
    await utimes(path.join(logs, 'postroom.1.log'), new Date(T0), new Date(T0));
    await writeFile(
      path.join(logs, 'postroom.2.log'),
      [
        line(30, 10, 'login', { service: 'pop3', user: 'bob', remote: '192.0.2.7' }),
        line(40, 11, 'server answered slowly', { collector: 'office-isp' }),
        line(50, 12, 'admin request failed', { service: 'admin', err: { message: 'boom' } }),
      ].join('\n') + '\n{"level":30,"time":1,"msg":"cut in the mid',
    );
  });
  after(() => h.cleanup());

  it('lists recent messages and finds one by subject, with a link to its timeline', async () => {
    const all = text((await b.get('/trace')).body);
    assert.match(all, /Recent messages \(2\)/);
    const r = await b.get('/trace?q=invoice&field=subject');
    assert.equal(r.statusCode, 200);
    const t = text(r.body);
    assert.match(t, /Messages matching “invoice” \(1\)/);
    assert.match(t, /Invoice 1/);
    assert.doesNotMatch(t, /Lunch/);
    assert.match(r.body, new RegExp(`href="/trace/${invoice}"`));
    assert.match(r.body, /<option value="subject" selected>/, 'the form keeps the chosen field');
    assert.match(text((await b.get('/trace?q=jane&field=to')).body), /Lunch/);
    assert.match(text((await b.get('/trace?q=nothing-like-it')).body), /No message of the last 7 days matches “nothing-like-it”/);
  });

  it("shows a message's timeline", async () => {
    const t = text((await b.get(`/trace/${invoice}`)).body);
    assert.match(t, /arrived from collector office-isp: pop3:\/\/office@isp\.test:110, UIDL U1/);
    assert.match(t, /routed to bob/);
    assert.match(t, /delivered to bob: INBOX, UID 1/);
    assert.equal((await b.get('/trace/99999')).statusCode, 404);
    assert.equal((await b.get('/trace/x')).statusCode, 404);
  });

  it('shows the log newest first, filtered by level, source and text', async () => {
    const rows = async (qs: string) => [...(await b.get(`/logs${qs}`)).body.matchAll(/<tr>\s*<td><span class="when">[^<]*<\/span><\/td>\s*<td><span class="tag \w+">(\w+)<\/span><\/td>\s*<td[^>]*>([^<]*)<\/td>\s*<td>([^<]*)<\/td>/g)].map((m) => `${m[1]} ${m[2]}: ${m[3]}`);
    assert.deepEqual(await rows(''), ['error admin: admin request failed: boom', 'warn collector office-isp: server answered slowly', 'info pop3: login', 'info —: server started']);
    assert.deepEqual(await rows('?level=warn'), ['error admin: admin request failed: boom', 'warn collector office-isp: server answered slowly']);
    assert.deepEqual(await rows('?level=debug&source=pop3'), ['info pop3: login', 'debug pop3: debug noise']);
    assert.deepEqual(await rows('?source=collector+office-isp'), ['warn collector office-isp: server answered slowly']);
    assert.deepEqual(await rows('?q=192.0.2.7'), ['info pop3: login'], 'text matches any field of the line');
    const page = (await b.get('/logs')).body;
    assert.match(page, /<option value="collector office-isp">collector office-isp<\/option>/);
    assert.match(text(page), /user=bob remote=192\.0\.2\.7/);
  });

  it('the dashboard shows the same log reader’s warnings and errors', async () => {
    const t = text((await b.get('/')).body);
    assert.match(t, /admin request failed: boom/);
    assert.match(t, /server answered slowly/);
    assert.doesNotMatch(t, /server started/);
  });

  it('answers the same over the JSON API, with a token', async () => {
    assert.equal((await h.app.inject({ method: 'GET', url: '/api/trace' })).statusCode, 401);
    const { token } = (await h.app.inject({ method: 'POST', url: '/api/login', payload: { login: 'postmaster', password: 'pm' } })).json<{ token: string }>();
    const get = (url: string) => h.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
    const found = (await get('/api/trace?q=INV1@remote.test&field=messageId')).json<{ messages: Array<{ ingestId: number; subject: string; recipients: string[] }> }>();
    assert.deepEqual(found.messages.map((m) => [m.ingestId, m.subject, m.recipients]), [[invoice, 'Invoice 1', ['bob']]]);
    const trace = (await get(`/api/trace/${invoice}`)).json<{ events: Array<{ kind: string; text: string }> }>();
    assert.deepEqual(trace.events.map((e) => e.kind), ['arrived', 'routed', 'delivered']);
    assert.equal((await get('/api/trace/99999')).statusCode, 404);
    const logs = (await get('/api/logs?level=warn&q=boom')).json<{ entries: Array<{ level: string; message: string; source: string }>; sources: string[] }>();
    assert.deepEqual(logs.entries.map((e) => [e.level, e.source, e.message]), [['error', 'admin', 'admin request failed: boom']]);
    assert.deepEqual(logs.sources, ['admin', 'collector office-isp', 'pop3']);
  });
});
