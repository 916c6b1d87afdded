/**
 * The store contract: every backend must pass these. The backend under test is chosen by
 * POSTROOM_TEST_STORE (only "sqlite" exists today); a new backend adds a case to openStore().
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultSettings } from '../../src/config/schema.js';
import { dedupeDecider } from '../../src/pipeline/dedupe.js';
import type { IngestRecord, Store } from '../../src/store/interfaces.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { tempDir } from '../helpers/context.js';

export async function openStore(): Promise<{ store: Store; cleanup: () => Promise<void> }> {
  const kind = process.env.POSTROOM_TEST_STORE ?? 'sqlite';
  if (kind !== 'sqlite') throw new Error(`POSTROOM_TEST_STORE=${kind}: no such store backend`);
  const dir = await tempDir();
  const store = new SqliteStore(path.join(dir, 'test.db'));
  return { store, cleanup: async () => (await store.close(), await rm(dir, { recursive: true, force: true })) };
}

const ingest = (over: Partial<IngestRecord> = {}): IngestRecord => ({
  source: { kind: 'cli', name: 'contract' },
  receivedAt: Date.now(),
  blob: 'ab'.repeat(32),
  size: 100,
  wireSize: 104,
  messageId: 'm1@x',
  fingerprint: 'f1',
  subject: 'Hello',
  from: 'a@b',
  routing: null,
  ...over,
});

export function storeContract(): void {
  describe(`store contract (${process.env.POSTROOM_TEST_STORE ?? 'sqlite'})`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    before(async () => ({ store, cleanup } = await openStore()));
    after(async () => cleanup());

    it('adds, finds (by name or any address, any case) and removes users', async () => {
      await store.users.add({ name: 'bob', addresses: ['bob@example.test', 'rob@example.test'], admin: false, passwordHash: null });
      assert.equal((await store.users.findByLogin('BOB'))?.name, 'bob');
      assert.equal((await store.users.findByLogin('Rob@Example.test'))?.name, 'bob');
      assert.equal(await store.users.findByLogin('nobody'), undefined);
      await assert.rejects(store.users.add({ name: 'bob', addresses: [], admin: false, passwordHash: null }), /already exists/);
      await assert.rejects(store.users.add({ name: 'rob', addresses: ['rob@example.test'], admin: false, passwordHash: null }), /already belongs to user "bob"/);
      await store.users.setPassword('bob', '$argon2id$fake');
      assert.equal((await store.users.get('bob'))?.passwordHash, '$argon2id$fake');
      await assert.rejects(store.users.setPassword('ghost', 'x'), /no user named "ghost"/);
    });

    it('creates the standard folders with distinct UIDVALIDITYs', async () => {
      const boxes = await store.mailboxes.list('bob');
      assert.deepEqual(boxes.map((b) => b.name), ['INBOX', 'Sent', 'Drafts', 'Trash', 'Junk', 'Possible duplicates']);
      assert.equal(new Set(boxes.map((b) => b.uidValidity)).size, boxes.length);
      assert.deepEqual(await store.mailboxes.list('bob'), boxes, 'listing twice creates nothing new');
    });

    it('delivers with increasing UIDs and records provenance and the ledger', async () => {
      const decide = dedupeDecider('m1@x', 'f1', 'hold');
      const a = await store.deliveries.deliver(ingest(), [{ user: 'bob', via: 'test', decide }], 0);
      const b = await store.deliveries.deliver(ingest({ messageId: 'm2@x', fingerprint: 'f2' }), [{ user: 'bob', via: 'test', decide: dedupeDecider('m2@x', 'f2', 'hold') }], 0);
      assert.equal(a.results[0]!.uid, 1);
      assert.equal(b.results[0]!.uid, 2);
      const again = await store.deliveries.deliver(ingest(), [{ user: 'bob', via: 'test', decide }], 0);
      assert.equal(again.results[0]!.outcome, 'suppressed');
      assert.equal(again.results[0]!.uid, null);
      const held = await store.deliveries.deliver(ingest({ messageId: 'm3@x' }), [{ user: 'bob', via: 'test', decide: dedupeDecider('m3@x', 'f1', 'hold') }], 0);
      assert.equal(held.results[0]!.mailbox, 'Possible duplicates');
      assert.equal(held.results[0]!.uid, 1);
      const inbox = (await store.mailboxes.list('bob')).find((x) => x.name === 'INBOX')!;
      assert.equal(inbox.uidNext, 3);
      const msgs = await store.mailboxes.messages(inbox.id);
      assert.deepEqual(msgs.map((m) => [m.uid, m.messageId, m.wireSize, m.subject]), [[1, 'm1@x', 104, 'Hello'], [2, 'm2@x', 104, 'Hello']]);
      assert.deepEqual((await store.deliveries.deliveriesOf(again.ingestId)).map((d) => d.outcome), ['suppressed']);
    });

    it('ignores ledger rows older than the window', async () => {
      const decide = dedupeDecider('old@x', 'fold', 'hold');
      await store.deliveries.deliver(ingest({ messageId: 'old@x', fingerprint: 'fold' }), [{ user: 'bob', via: 't', decide }], 0);
      const r = await store.deliveries.deliver(ingest({ messageId: 'old@x', fingerprint: 'fold' }), [{ user: 'bob', via: 't', decide }], Date.now() + 60_000);
      assert.equal(r.results[0]!.outcome, 'delivered');
    });

    it('commits all recipients of a message or none', async () => {
      const boom = () => {
        throw new Error('decider failed');
      };
      const before = (await store.mailboxes.list('bob')).find((x) => x.name === 'INBOX')!.messageCount;
      await assert.rejects(
        store.deliveries.deliver(ingest({ messageId: 'atomic@x', fingerprint: 'fa' }), [
          { user: 'bob', via: 't', decide: dedupeDecider('atomic@x', 'fa', 'hold') },
          { user: 'jane', via: 't', decide: boom },
        ], 0),
        /decider failed/,
      );
      assert.equal((await store.mailboxes.list('bob')).find((x) => x.name === 'INBOX')!.messageCount, before);
    });

    it('keeps mail of a removed user and gives it back when the user returns', async () => {
      const count = async () => (await store.mailboxes.list('bob')).find((x) => x.name === 'INBOX')!.messageCount;
      const before = await count();
      assert.ok(before > 0);
      assert.equal(await store.users.remove('bob'), true);
      assert.equal(await store.users.findByLogin('bob@example.test'), undefined);
      assert.equal(await count(), before);
      assert.equal(await store.users.remove('bob'), false);
      await store.users.add({ name: 'bob', addresses: ['bob@example.test'], admin: false, passwordHash: null });
      assert.equal(await count(), before);
    });

    it('replaces the configuration atomically and bumps the generation only on change', async () => {
      const g0 = await store.config.generation();
      const changes = await store.config.replace((cur) => ({
        next: { ...cur, settings: { ...defaultSettings, hostname: 'h.test' }, lists: [{ name: 'staff', address: 'staff@example.test', type: 'distribution', members: ['jane'] }] },
        changes: ['x'],
      }));
      assert.deepEqual(changes, ['x']);
      assert.equal(await store.config.generation(), g0 + 1);
      assert.equal((await store.config.settings()).hostname, 'h.test');
      assert.deepEqual(await store.config.ownerOf('STAFF@example.test'), { kind: 'list', name: 'staff' });
      await store.config.replace((cur) => ({ next: cur, changes: [] }));
      assert.equal(await store.config.generation(), g0 + 1);
      await assert.rejects(store.config.replace(() => { throw new Error('plan failed'); }), /plan failed/);
      assert.equal((await store.config.settings()).hostname, 'h.test');
    });
  });
}
