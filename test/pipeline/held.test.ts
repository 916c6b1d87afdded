/** Held copies ("Possible duplicates"): list, show, release to the INBOX, expiry after heldDays. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { expireHeldCopies } from '../../src/pipeline/held-expiry.js';
import { run } from '../helpers/cli.js';
import { officeYaml, testContext, type TestContext } from '../helpers/context.js';
import { message } from '../helpers/messages.js';

const log = pino({ level: 'silent' });
const DAY = 86_400_000;

async function folder(ctx: TestContext, user: string, name: string) {
  const box = (await ctx.store.mailboxes.list(user)).find((b) => b.name === name)!;
  return ctx.store.mailboxes.messages(box.id);
}

/** Two copies of one invoice, the sender's software giving each its own Message-ID: the second is held. */
async function holdOne(ctx: TestContext, tag: string) {
  const body = `Invoice ${tag} attached.\r\n`;
  const subject = `Invoice ${tag}`;
  await ctx.pipeline.ingest({ source: { kind: 'smtp', name: '198.51.100.7' }, routing: { mode: 'envelope', recipients: ['bob@example.test'] }, content: [message({ subject, body, messageId: `<${tag}.1@billing.remote.test>` })] });
  const r = await ctx.pipeline.ingest({ source: { kind: 'smtp', name: '198.51.100.7' }, routing: { mode: 'envelope', recipients: ['bob@example.test'] }, content: [message({ subject, body, messageId: `<${tag}.2@billing.remote.test>` })] });
  assert.equal(r.results[0]!.outcome, 'held');
  return r.results[0]!;
}

describe('held copies', () => {
  let ctx: TestContext;
  before(async () => (ctx = await testContext(officeYaml)));
  after(async () => ctx.cleanup());

  it('lists a held copy with its reason, and shows the copy it matched', async () => {
    const held = await holdOne(ctx, 'list');
    const list = await ctx.store.held.list('bob');
    assert.deepEqual(list.map((h) => [h.deliveryId, h.uid, h.messageId]), [[held.deliveryId, held.uid, 'list.2@billing.remote.test']]);
    assert.match(list[0]!.reason, /possible duplicate: same content as delivery #\d+/);
    assert.deepEqual(await ctx.store.held.list('jane'), []);

    const shown = await run(ctx.dataDir, ['duplicates', 'show', String(held.deliveryId)]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /Why held: +possible duplicate: same content/);
    assert.match(shown.stdout, /Matches: +copy #\d+ from smtp 198\.51\.100\.7.*<list\.1@billing\.remote\.test>, now in INBOX UID \d+/);
    const listed = await run(ctx.dataDir, ['duplicates', 'list']);
    assert.match(listed.stdout, new RegExp(`^#${held.deliveryId}\\tbob\\tuid ${held.uid}\\t.*Invoice list`, 'm'));
  });

  it('release moves the copy to the INBOX under a new UID and records the release', async () => {
    const held = await holdOne(ctx, 'release');
    const boxes = await ctx.store.mailboxes.list('bob');
    const inboxBefore = boxes.find((b) => b.name === 'INBOX')!;
    const heldBox = boxes.find((b) => b.name === 'Possible duplicates')!;
    const r = await run(ctx.dataDir, ['duplicates', 'release', String(held.deliveryId)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Released #${held.deliveryId} to bob's INBOX as UID ${inboxBefore.uidNext}`));
    assert.ok(!(await folder(ctx, 'bob', 'Possible duplicates')).some((m) => m.messageId === 'release.2@billing.remote.test'));
    const moved = (await folder(ctx, 'bob', 'INBOX')).find((m) => m.messageId === 'release.2@billing.remote.test');
    assert.equal(moved?.uid, inboxBefore.uidNext);
    const story = await ctx.store.provenance.copyAt('bob', 'INBOX', inboxBefore.uidNext);
    assert.equal(story?.outcome, 'held', 'the outcome stays what the pipeline decided');
    assert.deepEqual(story?.events.map((e) => [e.kind, e.detail.from, e.detail.to]), [
      ['released', { mailbox: 'Possible duplicates', uid: held.uid, uidValidity: heldBox.uidValidity }, { mailbox: 'INBOX', uid: inboxBefore.uidNext, uidValidity: inboxBefore.uidValidity }],
    ]);
    assert.match(story!.events[0]!.actor, /^cli/);
    // Released once: a second release finds nothing held and says so.
    const again = await run(ctx.dataDir, ['duplicates', 'release', String(held.deliveryId)]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /no held copy/);
  });

  it('expiry removes only copies held longer than heldDays, keeps their story, and never touches the INBOX', async () => {
    const fresh = await holdOne(ctx, 'expiry');
    const inboxCount = (await folder(ctx, 'bob', 'INBOX')).length;
    assert.deepEqual(await expireHeldCopies(ctx.store, log, 'expiry', Date.now() + 29 * DAY), [], 'default heldDays is 30');
    const expired = await expireHeldCopies(ctx.store, log, 'expiry', Date.now() + 31 * DAY);
    assert.ok(expired.some((h) => h.deliveryId === fresh.deliveryId));
    assert.deepEqual(await folder(ctx, 'bob', 'Possible duplicates'), []);
    assert.equal((await folder(ctx, 'bob', 'INBOX')).length, inboxCount);
    const story = (await ctx.store.provenance.copiesOf('bob', { messageId: 'expiry.2@billing.remote.test' }))[0]!;
    assert.equal(story.mailbox, null);
    assert.equal(story.events[0]!.kind, 'expired');
    assert.equal(story.events[0]!.detail.blob, story.blob, 'the event says where the bytes are');
  });

  it('heldDays: 0 keeps held copies until released; the CLI expire command says so', async () => {
    const c2 = await testContext(officeYaml + 'duplicates: { heldDays: 0 }\n');
    try {
      await holdOne(c2, 'forever');
      assert.deepEqual(await expireHeldCopies(c2.store, log, 'expiry', Date.now() + 3650 * DAY), []);
      const r = await run(c2.dataDir, ['duplicates', 'expire']);
      assert.match(r.stdout, /kept until released/);
      assert.equal((await c2.store.held.list()).length, 1);
    } finally {
      await c2.cleanup();
    }
  });

  it('a copy the user moved out of "Possible duplicates" is no longer held and never expires', async () => {
    const held = await holdOne(ctx, 'moved');
    const boxes = await ctx.store.imap.list('bob');
    const from = boxes.find((b) => b.name === 'Possible duplicates')!;
    const to = boxes.find((b) => b.name === 'INBOX')!;
    await ctx.store.imap.move(from.id, [held.uid!], to.id);
    assert.equal(await ctx.store.held.get(held.deliveryId), undefined);
    await expireHeldCopies(ctx.store, log, 'expiry', Date.now() + 365 * DAY);
    assert.ok((await folder(ctx, 'bob', 'INBOX')).some((m) => m.messageId === 'moved.2@billing.remote.test'));
  });
});
