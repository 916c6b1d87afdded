/**
 * mbsync (isync, from Debian) syncing bob's mailboxes to a local Maildir and back: the standard
 * folders arrive with their messages, a flag set locally reaches the server, a message written into
 * the Maildir is APPENDed to the server, and syncing again duplicates nothing.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { tempDir } from '../../helpers/context.js';
import { deliverBatch } from '../../helpers/deliver.js';
import { message } from '../../helpers/messages.js';
import { startImap, type ImapHarness } from './harness.js';

const run = promisify(execFile);
const hasMbsync = await run('mbsync', ['--version']).then(
  () => true,
  () => false,
);

describe('IMAP with mbsync', { skip: hasMbsync ? false : 'mbsync (Debian package isync) is not installed' }, () => {
  let h: ImapHarness;
  let dir: string;
  let rc: string;
  before(async () => {
    h = await startImap();
    // As a collector stores them: both in one batch file, the second from an offset.
    await deliverBatch(h.ctx.pipeline, 'bob@example.test', [message({ subject: 'For mbsync', body: 'synced body\n', eol: '\n' }), message({ subject: 'Second', messageId: '<second@remote.test>' })]);
    dir = await tempDir('postroom-mbsync-');
    rc = path.join(dir, 'mbsyncrc');
    await mkdir(path.join(dir, 'mail'));
    await writeFile(
      rc,
      [
        'IMAPAccount bob',
        'Host 127.0.0.1',
        `Port ${h.port}`,
        'User bob',
        'Pass bobpw',
        'SSLType None',
        'AuthMechs LOGIN',
        '',
        'IMAPStore remote',
        'Account bob',
        '',
        'MaildirStore local',
        `Path ${path.join(dir, 'mail')}/`,
        `Inbox ${path.join(dir, 'mail', 'INBOX')}`,
        'SubFolders Verbatim',
        '',
        'Channel bob',
        'Far :remote:',
        'Near :local:',
        'Patterns *',
        'Create Both',
        'SyncState *',
        'Sync All',
        'Expunge Both',
        '',
      ].join('\n'),
    );
  });
  after(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  const sync = () => run('mbsync', ['-c', rc, '-a'], { timeout: 30_000 });
  const files = async (box: string, sub: 'cur' | 'new') => readdir(path.join(dir, 'mail', box, sub)).catch(() => [] as string[]);

  it('pulls every folder with its messages', async () => {
    await sync();
    const boxes = (await readdir(path.join(dir, 'mail'))).sort();
    for (const b of ['Drafts', 'INBOX', 'Junk', 'Possible duplicates', 'Sent', 'Trash']) assert.ok(boxes.includes(b), `${b} in ${boxes.join(', ')}`);
    const inbox = [...(await files('INBOX', 'new')), ...(await files('INBOX', 'cur'))];
    assert.equal(inbox.length, 2);
    const texts = await Promise.all(inbox.map(async (f) => readFile(path.join(dir, 'mail', 'INBOX', (await files('INBOX', 'new')).includes(f) ? 'new' : 'cur', f), 'utf8')));
    assert.ok(texts.some((t) => t.includes('Subject: For mbsync') && t.includes('synced body')));
  });

  it('pushes a local flag and a new local message back to the server', async () => {
    const fresh = await files('INBOX', 'new');
    const first = fresh[0] ?? (await files('INBOX', 'cur'))[0]!;
    const from = path.join(dir, 'mail', 'INBOX', fresh.includes(first) ? 'new' : 'cur', first);
    const base = first.split(':')[0];
    await rename(from, path.join(dir, 'mail', 'INBOX', 'cur', `${base}:2,FS`));
    await writeFile(path.join(dir, 'mail', 'Drafts', 'new', `${Date.now()}.local.draft`), 'Subject: written offline\n\nhello from the Maildir\n');
    await sync();
    const inbox = await h.ctx.store.imap.get('bob', 'INBOX');
    const { entries } = await h.ctx.store.imap.index(inbox!.id);
    assert.ok(entries.some((e) => e.flags.includes('\\Flagged') && e.flags.includes('\\Seen')), JSON.stringify(entries));
    const drafts = await h.ctx.store.imap.get('bob', 'Drafts');
    const msgs = await h.ctx.store.imap.messages(drafts!.id, (await h.ctx.store.imap.index(drafts!.id)).entries.map((e) => e.uid));
    assert.equal(msgs.length, 1);
    const stored = await readFile(h.ctx.blobs.pathOf(msgs[0]!.blob), 'utf8');
    // mbsync adds its X-TUID tracking header when it uploads.
    assert.match(stored, /^Subject: written offline\r\nX-TUID: \S+\r\n\r\nhello from the Maildir\r\n$/);
  });

  it('a further sync changes nothing: no duplicates either side', async () => {
    await sync();
    const drafts = await h.ctx.store.imap.get('bob', 'Drafts');
    assert.equal((await h.ctx.store.imap.index(drafts!.id)).entries.length, 1);
    assert.equal([...(await files('Drafts', 'new')), ...(await files('Drafts', 'cur'))].length, 1);
    assert.equal([...(await files('INBOX', 'new')), ...(await files('INBOX', 'cur'))].length, 2);
  });
});
