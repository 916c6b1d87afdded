/**
 * "Fetched by client" in the message trace: real POP3 and IMAP sessions download messages, and the
 * first download per user and message is recorded in one batch when the session ends (not per RETR).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { searchTrace, traceMessage, traceSearch } from '../../src/diagnose/trace.js';
import type { Store } from '../../src/store/interfaces.js';
import { message } from '../helpers/messages.js';
import { startImap, type ImapHarness } from './imap/harness.js';
import { RawClient, startPop3, type Pop3Harness } from './pop3/harness.js';

const run = promisify(execFile);

/** The "fetched" lines of the timeline of the message with this subject. */
async function fetched(store: Store, subject: string): Promise<string[]> {
  const [found] = await searchTrace(store, traceSearch(subject, 'subject'));
  const t = await traceMessage(store, found!.ingestId);
  return t!.events.filter((e) => e.kind === 'fetched').map((e) => e.text);
}

/** Waits for the session's write, which happens just after the server closes the connection. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100 && !(await check()); i++) await sleep(20);
}

describe('first fetch by a client, POP3', () => {
  let h: Pop3Harness;
  before(async () => {
    h = await startPop3();
    await h.deliver('bob@example.test', message({ subject: 'Retrieved', messageId: '<r1@remote.test>' }));
    await h.deliver('bob@example.test', message({ subject: 'Only its top', messageId: '<t1@remote.test>' }));
  });
  after(() => h.close());

  it('records RETR once, when the session ends; TOP is not a download', async () => {
    const c = await RawClient.connect(h.port);
    assert.match(await c.login(), /^\+OK/);
    c.send('RETR 1');
    assert.match(await c.line(), /^\+OK/);
    await c.multiline();
    c.send('RETR 1');
    assert.match(await c.line(), /^\+OK/);
    await c.multiline();
    c.send('TOP 2 0');
    assert.match(await c.line(), /^\+OK/);
    await c.multiline();
    assert.deepEqual(await fetched(h.ctx.store, 'Retrieved'), [], 'nothing is written while the session lasts');
    assert.match(await c.command('QUIT'), /^\+OK/);
    await c.waitClosed();
    await eventually(async () => (await fetched(h.ctx.store, 'Retrieved')).length > 0);
    assert.deepEqual(await fetched(h.ctx.store, 'Retrieved'), ["first fetched by bob's mail client (POP3 RETR from 127.0.0.1)"]);
    assert.deepEqual(await fetched(h.ctx.store, 'Only its top'), []);
  });

  it('records a download of a session that ends without QUIT', async () => {
    const c = await RawClient.connect(h.port);
    await c.login();
    c.send('RETR 2');
    assert.match(await c.line(), /^\+OK/);
    await c.multiline();
    c.destroy();
    await eventually(async () => (await fetched(h.ctx.store, 'Only its top')).length > 0);
    assert.equal((await fetched(h.ctx.store, 'Only its top')).length, 1);
  });
});

describe('first fetch by a client, IMAP (imaplib)', () => {
  let h: ImapHarness;
  before(async () => {
    h = await startImap();
    await h.deliver('bob@example.test', message({ subject: 'Headers only', messageId: '<h1@remote.test>' }));
    await h.deliver('bob@example.test', message({ subject: 'Read in full', messageId: '<f1@remote.test>' }));
  });
  after(() => h.close());

  it('records a FETCH of the body, not of the header, when the client logs out', async () => {
    const script = `
import imaplib, sys
m = imaplib.IMAP4('127.0.0.1', int(sys.argv[1]))
m.login('bob', 'bobpw')
m.select('INBOX')
assert m.fetch('1', '(BODY.PEEK[HEADER] FLAGS)')[0] == 'OK'
assert m.fetch('2', '(BODY[])')[0] == 'OK'
assert m.fetch('2', '(BODY.PEEK[])')[0] == 'OK'
m.logout()
`;
    await run('python3', ['-c', script, String(h.port)], { timeout: 20_000 });
    await eventually(async () => (await fetched(h.ctx.store, 'Read in full')).length > 0);
    assert.deepEqual(await fetched(h.ctx.store, 'Read in full'), ["first fetched by bob's mail client (IMAP FETCH from 127.0.0.1)"]);
    assert.deepEqual(await fetched(h.ctx.store, 'Headers only'), []);
  });
});
