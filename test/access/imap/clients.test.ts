/**
 * Real clients against Postroom's IMAP server: Python's imaplib (a scripted session through every
 * command), imapflow, and curl's imap:// URLs.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';
import { deliverBatch } from '../../helpers/deliver.js';
import { storedBytes } from '../../helpers/files.js';
import { message } from '../../helpers/messages.js';
import { nestedMessage } from './fixtures.js';
import { startImap, type ImapHarness } from './harness.js';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));

describe('IMAP with real clients', () => {
  let h: ImapHarness;
  before(async () => {
    h = await startImap();
    // As a collector stores them: both in one batch file, the second from an offset.
    await deliverBatch(h.ctx.pipeline, 'bob@example.test', [message({ subject: 'Quarterly', body: 'line one\nline two\n', eol: '\n' }), nestedMessage]);
  });
  after(() => h.close());

  it("Python's imaplib: a scripted session through every command", async () => {
    const { stdout } = await run('python3', [path.join(here, 'imaplib_session.py'), String(h.port), String(h.tlsPort)], { timeout: 30_000 });
    const r = JSON.parse(stdout) as Record<string, [string, unknown[]] | unknown>;
    const okOf = (k: string) => (r[k] as [string, unknown[]])[0];
    for (const k of ['starttls', 'id', 'login', 'namespace', 'enable', 'list', 'create', 'rename', 'subscribe', 'lsub', 'unsubscribe', 'append', 'status', 'examine', 'close_ro', 'fetch_meta', 'search_subject', 'uid_search', 'store', 'store_silent', 'copy', 'move', 'check', 'noop', 'expunge', 'uid_expunge', 'unselect', 'delete', 'authenticate', 'select_tls']) {
      assert.equal(okOf(k), 'OK', `${k}: ${JSON.stringify(r[k])}`);
    }
    assert.ok((r.capabilities as string[]).includes('STARTTLS'));
    assert.ok(!(r.capabilities_tls as string[]).includes('STARTTLS'));
    assert.deepEqual(r.select, ['OK', '3']);
    assert.equal(r.appended_exact, true, 'APPENDed bytes come back exactly');
    assert.deepEqual((r.search_subject as [string, string[]])[1], ['3']);
    assert.deepEqual((r.uid_search as [string, string[]])[1], ['1 2']);
    const sections = r.sections as string[];
    assert.equal(sections[0], 'Subject: from imaplib\r\n\r\n');
    assert.equal(sections[1], 'body text here\r\n');
    assert.match(JSON.stringify(r.copy), /COPYUID/);
    assert.equal(r.idle_continuation, '+ idling');
    assert.match(r.idle_done as string, /OK IDLE terminated/);
    assert.match(JSON.stringify(r.expunge), /"2"/, 'message 2 was \\Deleted');
    assert.match(JSON.stringify(r.list), /\\\\Sent\) \\"\/\\" \\"Sent\\"/);
    assert.deepEqual((r.lsub as [string, string[]])[1], ['(\\HasNoChildren) "/" "Reports/Archive"']);
  });

  it('imapflow: list, status, fetch with bodyStructure and envelope, download, flags, move, append', async () => {
    const client = new ImapFlow({ host: '127.0.0.1', port: h.tlsPort, secure: true, tls: { rejectUnauthorized: false }, auth: { user: 'jane', pass: 'janepw' }, logger: false });
    await client.connect();
    await h.deliver('jane@example.test', nestedMessage);
    const boxes = await client.list();
    assert.deepEqual(boxes.map((b) => b.path).sort(), ['Drafts', 'INBOX', 'Junk', 'Possible duplicates', 'Sent', 'Trash']);
    assert.equal(boxes.find((b) => b.path === 'Sent')?.specialUse, '\\Sent');
    const lock = await client.getMailboxLock('INBOX');
    try {
      const msgs = [];
      for await (const m of client.fetch('1:*', { uid: true, envelope: true, bodyStructure: true, flags: true, size: true })) msgs.push(m);
      assert.equal(msgs.length, 1);
      const m = msgs[0]!;
      assert.equal(m.envelope?.subject, 'Grüße and figures');
      assert.equal(m.envelope?.from?.[0]?.address, 'alice@remote.test');
      assert.equal(m.bodyStructure?.childNodes?.length, 2);
      assert.equal(m.bodyStructure?.childNodes?.[1]?.type, 'message/rfc822');
      const part = await client.download(String(m.uid), '1', { uid: true });
      const chunks: Buffer[] = [];
      for await (const c of part.content!) chunks.push(c as Buffer);
      assert.equal(Buffer.concat(chunks).toString('utf8'), 'Hello Bob,\r\nthe figures are below. Grüße');
      await client.messageFlagsAdd({ uid: String(m.uid) }, ['\\Flagged'], { uid: true });
      const res = await client.messageMove(String(m.uid), 'Junk', { uid: true });
      assert.ok(res && res.uidMap && res.uidMap.size === 1);
    } finally {
      lock.release();
    }
    const appended = await client.append('Drafts', 'Subject: draft\r\n\r\nhi\r\n', ['\\Draft']);
    assert.ok(appended && appended.uid === 1);
    const status = await client.status('Junk', { messages: true, unseen: true });
    assert.ok(status && status.messages === 1, JSON.stringify(status));
    await client.logout();
  });

  it('imapflow: whole messages stored together in one batch file (as a collector stores them) arrive byte for byte', async () => {
    // jane's INBOX is empty again (the test above moved its message to Junk). Sizes on both sides
    // of the server's synchronous read and of 64 KB; every one of them shares the batch file.
    const batch = [300, 70_000, 5, 110_000, 40].map((n, i) =>
      message({ to: 'jane@example.test', subject: `Batch ${i}`, messageId: `<batch-${i}@remote.test>`, body: `${'line of the batch\r\n'.repeat(n)}end ${i}\r\n` }),
    );
    const blobs = await deliverBatch(h.ctx.pipeline, 'jane@example.test', batch);
    const client = new ImapFlow({ host: '127.0.0.1', port: h.tlsPort, secure: true, tls: { rejectUnauthorized: false }, auth: { user: 'jane', pass: 'janepw' }, logger: false });
    await client.connect();
    const lock = await client.getMailboxLock('INBOX');
    try {
      const sources: Buffer[] = [];
      for await (const m of client.fetch('1:*', { source: true })) sources.push(m.source!);
      assert.equal(sources.length, batch.length);
      for (const [i, blob] of blobs.entries()) assert.ok(sources[i]!.equals(await storedBytes(h.ctx.blobs, blob)), `message ${i + 1} (${blob})`);
    } finally {
      lock.release();
    }
    await client.logout();
  });

  // After the imaplib session, bob's INBOX holds only UID 1, "Quarterly" (delivered LF-only).
  it("curl's imap:// URLs: list, fetch by UID and section, search", async () => {
    const base = `imap://127.0.0.1:${h.port}`;
    const curl = async (...args: string[]) => (await run('curl', ['-s', '--max-time', '10', '-u', 'bob:bobpw', ...args], { encoding: 'buffer' })).stdout as Buffer;
    const list = (await curl(`${base}/`)).toString();
    assert.match(list, /\* LIST \(\\HasNoChildren \\Trash\) "\/" "Trash"/);
    const whole = await curl(`${base}/INBOX;UID=1`);
    assert.match(whole.toString(), /^Received: /);
    assert.match(whole.toString(), /\r\n\r\nline one\r\nline two\r\n$/);
    const text = await curl(`${base}/INBOX;UID=1;SECTION=TEXT`);
    assert.equal(text.toString(), 'line one\r\nline two\r\n');
    const found = (await curl(`${base}/INBOX?SUBJECT%20Quarterly`)).toString();
    assert.match(found, /\* SEARCH 1/);
  });
});
