/**
 * Two sessions on one mailbox (RFC 3501 5.2, 7.4.1; RFC 2180 4.1): what one changes, the other
 * learns at the moments the RFC allows. EXPUNGE never arrives during FETCH, STORE or SEARCH (the
 * client's message numbers would shift under it); it arrives at NOOP, at IDLE, or before the OK of
 * a command that allows it. New mail shows up during IDLE within a second.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { message } from '../../helpers/messages.js';
import { RawImapClient, startImap, type ImapHarness } from './harness.js';

describe('IMAP: two sessions on one mailbox', () => {
  let h: ImapHarness;
  let a: RawImapClient;
  let b: RawImapClient;
  before(async () => {
    h = await startImap();
    for (let i = 1; i <= 4; i++) await h.deliver('bob@example.test', message({ subject: `m${i}`, messageId: `<m${i}@remote.test>` }));
    a = (await RawImapClient.connect(h.port)).client;
    b = (await RawImapClient.connect(h.port)).client;
    for (const c of [a, b]) {
      await c.login();
      assert.match((await c.command('SELECT INBOX')).untagged.join('\n'), /4 EXISTS/);
    }
  });
  after(async () => {
    a.destroy();
    b.destroy();
    await h.close();
  });

  it('flags set by one session reach the other at its next command, as FETCH FLAGS', async () => {
    await b.command('STORE 2 +FLAGS.SILENT (\\Flagged)');
    const r = await a.command('NOOP');
    assert.deepEqual(r.untagged, ['2 FETCH (FLAGS (\\Flagged))']);
    assert.deepEqual((await a.command('NOOP')).untagged, [], 'reported once');
  });

  it('an expunge by one session is held back during FETCH, STORE and SEARCH, then reported at NOOP', async () => {
    await b.command('STORE 1 +FLAGS.SILENT (\\Deleted)');
    const ex = await b.command('EXPUNGE');
    assert.deepEqual(ex.untagged, ['1 EXPUNGE']);

    const f = await a.command('FETCH 1:4 (UID FLAGS)');
    assert.ok(!f.untagged.some((l) => /EXPUNGE/.test(l)), f.untagged.join('\n'));
    // Still the old numbering: message 2 is UID 2; the expunged message 1 is simply skipped.
    assert.ok(f.untagged.some((l) => l.startsWith('2 FETCH (UID 2 ')), f.untagged.join('\n'));
    assert.ok(!f.untagged.some((l) => l.startsWith('1 FETCH (UID 1 FLAGS')), 'gone message is not served');

    const s = await a.command('STORE 4 +FLAGS ($Seen4)');
    assert.ok(!s.untagged.some((l) => /EXPUNGE/.test(l)));
    assert.ok(s.untagged.includes('4 FETCH (FLAGS ($Seen4))'), s.untagged.join('\n'));
    const q = await a.command('SEARCH ALL');
    assert.ok(!q.untagged.some((l) => /EXPUNGE/.test(l)));
    const u = await a.command('UID SEARCH ALL');
    assert.ok(!u.untagged.some((l) => /EXPUNGE/.test(l)));

    const n = await a.command('NOOP');
    assert.deepEqual(n.untagged.filter((l) => /EXPUNGE/.test(l)), ['1 EXPUNGE']);
    const after = await a.command('FETCH 1:* UID');
    assert.deepEqual(after.untagged, ['1 FETCH (UID 2)', '2 FETCH (UID 3)', '3 FETCH (UID 4)']);
    // b learns about a's flag change too.
    assert.ok((await b.command('NOOP')).untagged.includes('3 FETCH (FLAGS ($Seen4))'));
  });

  it('IDLE reports new mail within a second, and other sessions\' flags and expunges', async () => {
    a.send('I1 IDLE\r\n');
    assert.equal((await a.line()).toString(), '+ idling');
    const t0 = Date.now();
    await h.deliver('bob@example.test', message({ subject: 'new', messageId: '<new@remote.test>' }));
    assert.equal((await a.line(1000)).toString(), '* 4 EXISTS');
    assert.ok(Date.now() - t0 < 1000);

    await b.command('STORE 1 +FLAGS.SILENT (\\Seen)');
    assert.equal((await a.line(1000)).toString(), '* 1 FETCH (FLAGS (\\Flagged \\Seen))');

    await b.command('STORE 2 +FLAGS.SILENT (\\Deleted)');
    assert.equal((await a.line(1000)).toString(), '* 2 FETCH (FLAGS (\\Deleted))');
    await b.command('EXPUNGE');
    assert.equal((await a.line(1000)).toString(), '* 2 EXPUNGE');

    a.send('DONE\r\n');
    assert.match((await a.until('I1')).tagged, /^I1 OK/);
    const uids = await a.command('UID SEARCH ALL');
    const bUids = await b.command('UID SEARCH ALL');
    assert.deepEqual(uids.untagged, bUids.untagged, 'both sessions agree at the end');
  });

  it('a MOVE by one session is an EXPUNGE for the other, and EXISTS in the target for a third', async () => {
    const c = (await RawImapClient.connect(h.port)).client;
    await c.login();
    await c.command('SELECT Trash');
    await b.command('MOVE 1 Trash');
    assert.deepEqual((await a.command('NOOP')).untagged, ['1 EXPUNGE']);
    assert.deepEqual((await c.command('NOOP')).untagged, ['1 EXISTS']);
    c.destroy();
  });
});

describe('IMAP: flag changes are reported even when the other session fetches or stores silently', () => {
  it('FETCH without FLAGS and STORE .SILENT do not swallow another session\'s change', async () => {
    const h = await startImap();
    try {
      await h.deliver('bob@example.test', message({}));
      const a = (await RawImapClient.connect(h.port)).client;
      const b = (await RawImapClient.connect(h.port)).client;
      for (const c of [a, b]) {
        await c.login();
        await c.command('SELECT INBOX');
      }
      await b.command('STORE 1 +FLAGS.SILENT ($Other)');
      const f = await a.command('FETCH 1 (UID RFC822.SIZE)');
      const n = await a.command('NOOP');
      // Reported once, before FETCH's OK or at the NOOP: either is allowed, never neither.
      assert.deepEqual([...f.untagged, ...n.untagged].filter((l) => l.includes('FLAGS')), ['1 FETCH (FLAGS ($Other))']);
      await b.command('STORE 1 +FLAGS.SILENT (\\Answered)');
      const s = await a.command('STORE 1 +FLAGS.SILENT (\\Flagged)');
      assert.deepEqual(s.untagged, ['1 FETCH (FLAGS ($Other \\Answered \\Flagged))']);
      a.destroy();
      b.destroy();
    } finally {
      await h.close();
    }
  });
});
