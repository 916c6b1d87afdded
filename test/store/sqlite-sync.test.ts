/** SQLite backend: a spool batch committed without waiting for the disk (SpoolStore.addMany's deferSync). */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { it } from 'node:test';
import type { NewSpoolEntry } from '../../src/store/interfaces.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { tempDir } from '../helpers/context.js';

const entry = (over: Partial<NewSpoolEntry> = {}): NewSpoolEntry => ({
  receivedAt: Date.now(),
  source: { kind: 'collector', name: 'isp', remoteId: 'k 1' },
  routing: { mode: 'user', target: 'bob' },
  blob: '20261129/1-0123456789abcdef-1@0+10',
  size: 10,
  wireSize: 10,
  headerOffset: 0,
  headerLength: 5,
  bodyHash: 'h',
  ...over,
});

it('deferSync: rows are written and visible, and every later commit waits for the disk again (synchronous back to FULL, also after a failed commit)', async () => {
  const dir = await tempDir();
  const store = new SqliteStore(path.join(dir, 'test.db'));
  try {
    const synchronous = () => store.db.pragma('synchronous', { simple: true });
    assert.equal(synchronous(), 2, 'FULL');
    const journal = { mailboxKey: 'pop3 isp', remoteId: 'u1', collector: 'isp' };
    const [id, again] = await store.spool.addMany([{ entry: entry(), journal }, { entry: entry(), journal }], { deferSync: true });
    assert.equal((await store.spool.get(id!))?.blob, entry().blob);
    assert.equal(again, null, 'the journal still refuses a second row for the same remote message');
    assert.equal(synchronous(), 2);
    await assert.rejects(store.spool.addMany([{ entry: entry({ blob: undefined as unknown as string }) }], { deferSync: true }));
    assert.equal(synchronous(), 2, 'restored after a failed commit');
  } finally {
    store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
