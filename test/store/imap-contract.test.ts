/**
 * The ImapMailboxStore contract, for every backend (openStore() picks it, see contract.ts): UIDs
 * are assigned in order and never reused, flags, expunge of \Deleted only, copy/move keep flags
 * and give COPYUID pairs, folder rules, the cheap stamp, and the structure cache.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ImapAppendRecord, Store } from '../../src/store/interfaces.js';
import { openStore } from './contract.js';

const appended = (over: Partial<ImapAppendRecord> = {}): ImapAppendRecord => ({
  blob: 'cd'.repeat(32),
  size: 10,
  wireSize: 12,
  internalDate: Date.UTC(2026, 0, 1),
  flags: [],
  messageId: null,
  subject: 's',
  from: 'f',
  fingerprint: 'fp',
  origin: 'test',
  ...over,
});

describe('ImapMailboxStore contract', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  before(async () => ({ store, cleanup } = await openStore()));
  after(() => cleanup());

  it('lists the standard folders with special-use attributes, subscribed, in order', async () => {
    const boxes = await store.imap.list('ann');
    assert.deepEqual(boxes.map((b) => [b.name, b.specialUse, b.subscribed]), [
      ['INBOX', null, true],
      ['Sent', '\\Sent', true],
      ['Drafts', '\\Drafts', true],
      ['Trash', '\\Trash', true],
      ['Junk', '\\Junk', true],
      ['Possible duplicates', null, true],
    ]);
    assert.equal(new Set(boxes.map((b) => b.uidValidity)).size, 6, 'each folder has its own UIDVALIDITY');
  });

  it('assigns UIDs in order, never reusing one after expunge; the stamp changes with every add and removal', async () => {
    const inbox = (await store.imap.get('ann', 'INBOX'))!;
    const s0 = await store.imap.stamp(inbox.id);
    const a = await store.imap.append(inbox.id, appended({ flags: ['\\Seen', '\\Seen', '$x'] }));
    const b = await store.imap.append(inbox.id, appended());
    assert.deepEqual([a.uid, b.uid], [1, 2]);
    assert.equal(a.uidValidity, inbox.uidValidity);
    const s1 = await store.imap.stamp(inbox.id);
    assert.notEqual(s1, s0);
    assert.deepEqual((await store.imap.index(inbox.id)).entries, [
      { uid: 1, flags: ['\\Seen', '$x'] },
      { uid: 2, flags: [] },
    ]);
    assert.deepEqual(await store.imap.expunge(inbox.id), [], 'nothing is \\Deleted');
    await store.imap.storeFlags(inbox.id, [2], 'add', ['\\Deleted']);
    assert.deepEqual(await store.imap.expunge(inbox.id, [1]), [], 'only UIDs in the set');
    assert.deepEqual(await store.imap.expunge(inbox.id), [2]);
    assert.notEqual(await store.imap.stamp(inbox.id), s1);
    assert.equal((await store.imap.append(inbox.id, appended())).uid, 3);
    assert.deepEqual(await store.imap.counts(inbox.id), { messages: 2, unseen: 1, size: 24 });
  });

  it('sets, adds and removes flags; unknown UIDs are skipped', async () => {
    const inbox = (await store.imap.get('ann', 'INBOX'))!;
    assert.deepEqual(await store.imap.storeFlags(inbox.id, [1, 99], 'replace', ['\\Flagged', '\\Flagged']), [{ uid: 1, flags: ['\\Flagged'] }]);
    assert.deepEqual(await store.imap.storeFlags(inbox.id, [1], 'add', ['\\Seen', '\\Flagged']), [{ uid: 1, flags: ['\\Flagged', '\\Seen'] }]);
    assert.deepEqual(await store.imap.storeFlags(inbox.id, [1], 'remove', ['\\Flagged']), [{ uid: 1, flags: ['\\Seen'] }]);
  });

  it('copy keeps flags and gives pairs in UID order; move removes the source', async () => {
    const inbox = (await store.imap.get('ann', 'INBOX'))!;
    const trash = (await store.imap.get('ann', 'Trash'))!;
    const c = await store.imap.copy(inbox.id, [3, 1], trash.id);
    assert.deepEqual(c, { uidValidity: trash.uidValidity, pairs: [[1, 1], [3, 2]] });
    assert.deepEqual((await store.imap.messages(trash.id, [1]))[0]!.flags, ['\\Seen']);
    const m = await store.imap.move(inbox.id, [3], trash.id);
    assert.deepEqual(m.pairs, [[3, 3]]);
    assert.deepEqual((await store.imap.index(inbox.id)).entries.map((e) => e.uid), [1]);
  });

  it('folder rules: create, exists, rename with children, haschildren, standard folders protected', async () => {
    assert.deepEqual(await store.imap.create('ann', 'A/B'), { ok: true });
    assert.deepEqual(await store.imap.create('ann', 'A/B'), { ok: false, reason: 'exists' });
    assert.deepEqual(await store.imap.create('ann', 'A'), { ok: true });
    assert.deepEqual(await store.imap.delete('ann', 'A'), { ok: false, reason: 'haschildren' });
    assert.deepEqual(await store.imap.rename('ann', 'A', 'Z'), { ok: true });
    assert.ok(await store.imap.get('ann', 'Z/B'));
    assert.deepEqual(await store.imap.rename('ann', 'Z', 'Z/B/C'), { ok: false, reason: 'cannot' });
    assert.deepEqual(await store.imap.delete('ann', 'Sent'), { ok: false, reason: 'cannot' });
    assert.deepEqual(await store.imap.rename('ann', 'Z', 'Trash'), { ok: false, reason: 'exists' });
    assert.deepEqual(await store.imap.delete('ann', 'Nope'), { ok: false, reason: 'nonexistent' });
    assert.deepEqual(await store.imap.setSubscribed('ann', 'Z/B', false), { ok: true });
    assert.equal((await store.imap.get('ann', 'Z/B'))!.subscribed, false);
    const old = (await store.imap.get('ann', 'Z/B'))!.uidValidity;
    assert.deepEqual(await store.imap.delete('ann', 'Z/B'), { ok: true });
    await store.imap.create('ann', 'Z/B');
    assert.ok((await store.imap.get('ann', 'Z/B'))!.uidValidity > old, 'a name created again gets a new UIDVALIDITY');
    assert.equal(await store.imap.get('bob', 'Z/B'), undefined, 'folders belong to their owner');
  });

  it('caches structures per blob', async () => {
    assert.equal(await store.imap.structure('ee'.repeat(32)), undefined);
    await store.imap.saveStructures([{ blob: 'ee'.repeat(32), json: '{"v":1}' }]);
    assert.equal(await store.imap.structure('ee'.repeat(32)), '{"v":1}');
  });
});
