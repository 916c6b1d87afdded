/**
 * Run now with live progress and the last session's log, against the scripted POP3 server: one
 * RETR stalls, so the session is caught mid-way (two of five downloaded) through the page's JSON
 * routes and the API, a second start joins it, and after the timeout its log and counts are shown.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CollectorProgress, CollectorScheduler } from '../../src/collect/scheduler.js';
import { startFakePop3, type FakePop3Server } from '../fixtures/fake-pop3-server.js';
import { officeYaml } from '../helpers/context.js';
import { adminHarness, apiCaller, Browser, text, type AdminHarness, type ApiCall } from './helpers.js';

const mail = (i: number) => Buffer.from(`From: alice@remote.test\r\nTo: bob@example.test\r\nSubject: Progress ${i}\r\nMessage-ID: <progress-${i}@remote.test>\r\n\r\n${'line of text\r\n'.repeat(40)}`);

async function until<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('admin: Run now with live progress, the last session log', () => {
  let h: AdminHarness;
  let pop: FakePop3Server;
  let b: Browser;
  let api: ApiCall;
  before(async () => {
    // Message 3's RETR sends a little, then nothing: the session waits its 2 s timeout there.
    pop = await startFakePop3({ messages: [1, 2, 3, 4, 5].map(mail), users: { isp: 'pw', isp2: 'pw' }, capabilities: ['UIDL', 'TOP', 'USER', 'RESP-CODES'], faults: { cutRetr: { id: 3, afterBytes: 40, then: 'stall' } } });
    h = await adminHarness(`${officeYaml}collectors:\n  - { name: isp, protocol: pop3, host: 127.0.0.1, port: ${pop.port}, security: none, user: isp, password: pw, timeoutSeconds: 2, routing: { mode: user, target: bob } }\n  - { name: isp2, protocol: pop3, host: 127.0.0.1, port: ${pop.port}, security: none, user: isp2, password: pw, timeoutSeconds: 2, enabled: true, routing: { mode: user, target: jane } }\n`);
    b = new Browser(h.app);
    await b.login();
    api = await apiCaller(h.app);
  });
  after(async () => {
    await h.cleanup();
    await pop.close();
  });

  it('before any session: idle, and the log page says so', async () => {
    const p = (await b.get('/collectors/isp/progress')).json<CollectorProgress>();
    assert.equal(p.state, 'idle');
    assert.match(text((await b.get('/collectors/isp/log')).body), /has not run since the server started/);
  });

  it('starts without waiting, shows progress mid-session, starts nothing twice, then the final counts', async () => {
    await b.get('/collectors');
    // The script's start route wants the CSRF token like every form.
    assert.equal((await b.post('/collectors/isp/start', {}, false)).statusCode, 403);
    assert.equal(pop.connections, 0);
    const start = await b.post('/collectors/isp/start', {});
    assert.equal(start.statusCode, 200, start.body);
    assert.equal(start.json<{ started: boolean }>().started, true);

    // Mid-session: two messages in, the third stalled.
    const mid = await until('two downloads', async () => (await b.get('/collectors/isp/progress')).json<CollectorProgress>(), (p) => p.fetched >= 2);
    assert.equal(mid.running, true);
    assert.equal(mid.state, 'downloading');
    assert.equal(mid.seen, 5);
    assert.equal(mid.toFetch, 5);
    assert.equal(mid.fetched, 2);
    assert.equal(mid.summary, null);
    const viaApi = (await api('GET', '/api/collectors/isp/progress')).json<CollectorProgress>();
    assert.equal(viaApi.running, true);
    assert.equal(viaApi.fetched, 2);

    // The collectors page shows the running session; another start (page or API) joins it.
    assert.match(text((await b.get('/collectors')).body), /A session is running now \(downloading\): 5 on server, 2 downloaded, 0 delivered so far/);
    assert.equal((await b.post('/collectors/isp/start', {})).json<{ started: boolean }>().started, false);
    const again = await api('POST', '/api/collectors/isp/start');
    assert.equal(again.statusCode, 202);
    assert.equal(again.json<{ started: boolean }>().started, false);
    // The session's log so far, while it runs.
    const live = (await api('GET', '/api/collectors/isp/log')).json<{ running: boolean; lines: Array<{ msg: string }> }>();
    assert.equal(live.running, true);
    assert.match(live.lines.map((l) => l.msg).join('\n'), /5 messages on the server, 5 not downloaded yet/);

    // The no-JS Run now waits for the same session rather than starting a second one.
    const run = await b.post('/collectors/isp/run', {});
    const flash = text((await b.follow(run)).body);
    assert.match(flash, /isp: 5 on server, 2 downloaded, 2 delivered/);
    assert.equal(pop.connections, 1, 'one session only');

    const done = (await b.get('/collectors/isp/progress')).json<CollectorProgress>();
    assert.equal(done.running, false);
    assert.equal(done.state, 'finished');
    assert.equal(done.downloaded, 2);
    assert.equal(done.delivered, 2);
    assert.equal(done.errors.length, 1);
    assert.match(done.summary!, /^isp: 5 on server, 2 downloaded, 2 delivered.*1 error/);
  });

  it('a scheduled session is shown on the page and not started again by Run now', async () => {
    // The harness does not start the scheduler; starting it runs the enabled isp2 at once (isp ran a moment ago).
    await (h.runtime.collectors as CollectorScheduler).start(await h.ctx.store.config.settings());
    const mid = await until('the scheduled session', async () => (await b.get('/collectors/isp2/progress')).json<CollectorProgress>(), (p) => p.fetched >= 2);
    assert.equal(mid.running, true);
    const page = await b.get('/collectors');
    assert.match(page.body, /<tr data-collector="isp2">[^]*?data-running="yes"/);
    assert.match(text(page.body), /A session is running now \(downloading\): 5 on server, 2 downloaded/);
    const before = pop.connections;
    assert.equal((await b.post('/collectors/isp2/start', {})).json<{ started: boolean }>().started, false);
    assert.equal(pop.connections, before);
    await until('the end of the session', async () => (await b.get('/collectors/isp2/progress')).json<CollectorProgress>(), (p) => !p.running);
  });

  it("shows the last session's log: what it connected to, what it found, the error, the summary", async () => {
    const page = await b.get('/collectors/isp/log');
    assert.equal(page.statusCode, 200);
    const t = text(page.body);
    assert.match(t, new RegExp(`connecting to POP3 isp at 127\\.0\\.0\\.1:${pop.port} \\(none\\)`));
    assert.match(t, /5 messages on the server, 5 not downloaded yet/);
    assert.match(t, /warn .*timed out|warn .*timeout/i);
    assert.match(t, /isp: 5 on server, 2 downloaded, 2 delivered/);
    assert.match(text((await b.get('/collectors')).body), /Last session’s log/);
    const log = (await api('GET', '/api/collectors/isp/log')).json<{ running: boolean; lines: Array<{ level: string; msg: string }> }>();
    assert.equal(log.running, false);
    assert.equal(log.lines.at(-1)!.level, 'warn');
    assert.match(log.lines.at(-1)!.msg, /^isp: 5 on server/);
    assert.equal((await api('GET', '/api/collectors/nope/log')).statusCode, 404);
  });
});
