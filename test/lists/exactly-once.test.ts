/** The mailing-list copy is spooled by the original's delivery transaction: once, whatever races. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { testContext, type TestContext } from '../helpers/context.js';
import { inbox } from '../smtp/harness.js';
import { message } from './helpers.js';

const yaml = `
hostname: mail.example.test
domains: [example.test]
unknownRecipient: postmaster
users:
  - { name: postmaster, addresses: [postmaster@example.test] }
  - { name: bob, addresses: [bob@example.test] }
  - { name: jane, addresses: [jane@example.test] }
lists:
  - { name: news, address: news@example.test, type: mailing, membersOnly: true, members: [bob, jane] }
`;

let ctx: TestContext;
beforeEach(async () => (ctx = await testContext(yaml)));
afterEach(() => ctx.cleanup());

const listRows = () =>
  ctx.store.db.prepare(`SELECT id, state, json_extract(source, '$.detail.parentSpool') AS parent FROM spool WHERE json_extract(source, '$.kind') = 'list'`).all() as Array<{ id: number; state: string; parent: number }>;

test('processing the same post twice (two processes, a retry) spools one list copy', async () => {
  const spoolId = await ctx.pipeline.accept({
    source: { kind: 'smtp', name: 'test', envelopeFrom: 'bob@example.test' },
    routing: { mode: 'envelope', recipients: ['news@example.test'] },
    content: [Buffer.from(message({ from: 'bob@example.test', to: 'news@example.test', messageId: '<twice@example.test>' }))],
  });
  const [a, b] = await Promise.all([ctx.pipeline.process(spoolId), ctx.pipeline.process(spoolId)]);
  assert.equal([a, b].filter((r) => r.alreadyDone).length, 1);
  await ctx.pipeline.process(spoolId);
  const rows = listRows();
  assert.equal(rows.length, 1);
  assert.deepEqual({ parent: rows[0]!.parent, state: rows[0]!.state }, { parent: spoolId, state: 'done' });
  for (const u of ['bob', 'jane']) assert.equal((await inbox(ctx, u)).length, 1, u);
});

test('a non-member post that did not come by SMTP is kept for unknownRecipient, not distributed', async () => {
  const r = await ctx.pipeline.ingest({
    source: { kind: 'cli', name: 'test' },
    routing: { mode: 'envelope', recipients: ['news@example.test'] },
    content: [Buffer.from(message({ from: 'stranger@outside.test', to: 'news@example.test', messageId: '<stranger@outside.test>' }))],
  });
  assert.deepEqual(
    r.results.map((x) => x.user),
    ['postmaster'],
  );
  assert.match(r.notes.join('\n'), /members only, and stranger@outside\.test is not a member/);
  assert.equal(listRows().length, 0);
  assert.equal((await inbox(ctx, 'bob')).length, 0);
});
