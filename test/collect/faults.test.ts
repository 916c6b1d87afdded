/**
 * Faults injected at exact points by our scripted POP3 server: after each one, and the session
 * that follows, every message must be delivered exactly once and none lost.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { mailboxLockFile } from '../../src/collect/run-collector.js';
import { remoteMailboxKey } from '../../src/config/schema.js';
import { tryLockFile } from '../../src/server/file-lock.js';
import { startFakePop3, type FakePop3Faults, type FakePop3Options } from '../fixtures/fake-pop3-server.js';
import { testContext, type TestContext } from '../helpers/context.js';
import { collect, collectorYaml, office, subjects } from './helpers.js';

const N = 5;
const crlfMail = (i: number) =>
  Buffer.from(`From: alice@remote.test\r\nTo: bob@example.test\r\nSubject: Fault ${i}\r\nMessage-ID: <fault-${i}@remote.test>\r\n\r\n${'line of text\r\n'.repeat(50)}.leading dot\r\n`);

async function setup(opts: FakePop3Options = {}, collector: Record<string, unknown> = {}) {
  const faults: FakePop3Faults = {};
  const server = await startFakePop3({ messages: Array.from({ length: N }, (_, i) => crlfMail(i + 1)), users: { isp: 'pw' }, faults, ...opts });
  const ctx = await testContext(
    office + 'collectors:\n' + collectorYaml({ name: 'isp', protocol: 'pop3', port: server.port, user: 'isp', password: 'pw', timeoutSeconds: 1, routing: { mode: 'user', target: 'bob' }, ...collector }),
  );
  return { server, ctx, faults };
}

async function assertExactlyOnce(ctx: TestContext) {
  const want = Array.from({ length: N }, (_, i) => `Fault ${i + 1}`).sort();
  assert.deepEqual(await subjects(ctx, 'bob'), want);
  assert.deepEqual(await subjects(ctx, 'bob', 'Possible duplicates'), []);
}

describe('collector faults (scripted POP3 server)', () => {
  it('connection cut in the middle of a RETR: nothing half-stored, nothing deleted, finished next time', async () => {
    const { server, ctx, faults } = await setup();
    try {
      faults.cutRetr = { id: 3, afterBytes: 100, then: 'close' };
      const first = await collect(ctx, 'isp');
      assert.equal(first.errors.length, 1);
      assert.equal(first.downloaded, 2);
      assert.equal(server.messages.length, N, 'no deletion without QUIT');
      delete faults.cutRetr;
      const second = await collect(ctx, 'isp');
      assert.deepEqual(second.errors, []);
      assert.equal(second.downloaded, N - 2, 'the first two are not downloaded again');
      assert.equal(server.messages.length, 0);
      await assertExactlyOnce(ctx);
    } finally {
      await server.close();
      await ctx.cleanup();
    }
  });

  it('QUIT never answered after DELE: deletions not recorded, re-issued next time, nothing downloaded twice', async () => {
    const { server, ctx, faults } = await setup();
    try {
      faults.stall = 'QUIT';
      const first = await collect(ctx, 'isp');
      assert.equal(first.downloaded, N);
      assert.equal(first.deleted, 0);
      assert.match(first.errors.join(), /QUIT/);
      assert.equal(server.messages.length, N, 'the server undeleted them');
      delete faults.stall;
      const second = await collect(ctx, 'isp');
      assert.deepEqual([second.downloaded, second.deleted, second.errors], [0, N, []]);
      assert.equal(server.messages.length, 0);
      await assertExactlyOnce(ctx);
    } finally {
      await server.close();
      await ctx.cleanup();
    }
  });

  it('-ERR on QUIT: nothing assumed deleted', async () => {
    const { server, ctx, faults } = await setup();
    try {
      faults.quitReply = '-ERR [SYS/TEMP] some deleted messages not removed';
      const first = await collect(ctx, 'isp');
      assert.equal(first.deleted, 0);
      assert.equal(first.errors.length, 1);
      delete faults.quitReply;
      const second = await collect(ctx, 'isp');
      assert.deepEqual([second.downloaded, second.deleted], [0, N]);
      await assertExactlyOnce(ctx);
    } finally {
      await server.close();
      await ctx.cleanup();
    }
  });

  it('a RETR that stalls past the timeout: the session ends, nothing is lost', async () => {
    const { server, ctx, faults } = await setup();
    try {
      faults.cutRetr = { id: 2, afterBytes: 40, then: 'stall' };
      const first = await collect(ctx, 'isp');
      assert.match(first.errors.join(), /timed out|timeout|no answer|waiting/i);
      delete faults.cutRetr;
      await collect(ctx, 'isp');
      assert.equal(server.messages.length, 0);
      await assertExactlyOnce(ctx);
    } finally {
      await server.close();
      await ctx.cleanup();
    }
  });

  it('no UIDL: identified by header and size, leave-on-server still downloads each once', async () => {
    const { server, ctx } = await setup({ capabilities: ['TOP', 'USER', 'PIPELINING'] }, { leaveOnServerDays: 1 });
    try {
      const first = await collect(ctx, 'isp');
      assert.equal(first.noUidl, true);
      assert.deepEqual([first.downloaded, first.kept, first.errors], [N, N, []]);
      const second = await collect(ctx, 'isp');
      assert.deepEqual([second.downloaded, second.kept], [0, N]);
      assert.equal(server.messages.length, N);
      await assertExactlyOnce(ctx);
    } finally {
      await server.close();
      await ctx.cleanup();
    }
  });

  // The renumbering is recognised (size + Message-ID via TOP) before anything is downloaded; the
  // ledger is the second line (test/collect/anomalies.test.ts covers both and the paused DELE).
  it('UIDLs that all change between sessions: recognised as the same messages, nothing downloaded or delivered again', async () => {
    const uids = Array.from({ length: N }, (_, i) => `first-${i}`);
    const { server, ctx } = await setup({ uids }, { leaveOnServerDays: 1 });
    try {
      await collect(ctx, 'isp');
      uids.splice(0, N, ...uids.map((u) => u.replace('first', 'second')));
      const second = await collect(ctx, 'isp');
      assert.deepEqual([second.downloaded, second.suppressed, second.delivered], [0, 0, 0]);
      await assertExactlyOnce(ctx);
    } finally {
      await server.close();
      await ctx.cleanup();
    }
  });

  it('leave on server: kept until N days after the first download, then deleted', async () => {
    const { server, ctx } = await setup({}, { leaveOnServerDays: 2 });
    try {
      const first = await collect(ctx, 'isp');
      assert.deepEqual([first.downloaded, first.deleted, first.kept], [N, 0, N]);
      assert.equal(server.messages.length, N);
      // Two days later (seen from the journal's clock).
      ctx.store.db.prepare('UPDATE collector_journal SET first_seen = first_seen - 2 * 86400000 - 1000').run();
      const later = await collect(ctx, 'isp');
      assert.deepEqual([later.downloaded, later.deleted, later.kept], [0, N, 0]);
      assert.equal(server.messages.length, 0);
      await assertExactlyOnce(ctx);
    } finally {
      await server.close();
      await ctx.cleanup();
    }
  });

  it('a wrong password gives an error that names the collector and what to fix', async () => {
    const { server, ctx } = await setup({ users: { isp: 'other' } });
    try {
      const r = await collect(ctx, 'isp');
      assert.equal(r.errors.length, 1);
      assert.match(r.errors[0]!, /isp/);
      assert.match(r.errors[0]!, /password/i);
    } finally {
      await server.close();
      await ctx.cleanup();
    }
  });
});

describe('one session per ISP mailbox', () => {
  it('a collector whose mailbox is being collected by another process skips its turn', async () => {
    const { server, ctx } = await setup();
    try {
      const c = (await ctx.store.config.snapshot()).collectors[0]!;
      const file = mailboxLockFile(ctx.dataDir, remoteMailboxKey(c));
      await mkdir(path.dirname(file), { recursive: true });
      // The lock another process's session on the same ISP mailbox would hold.
      const held = tryLockFile(file);
      assert.ok(held);
      const busy = await collect(ctx, 'isp');
      assert.equal(busy.busy, true);
      assert.equal(server.connections, 0, 'did not even connect');
      held.release();
      const r = await collect(ctx, 'isp');
      assert.deepEqual([r.busy, r.downloaded], [false, N]);
    } finally {
      await server.close();
      await ctx.cleanup();
    }
  });
});
