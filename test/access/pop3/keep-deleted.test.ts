/**
 * keepDeletedDays (VPOP3's hold-instead-of-delete): POP3 DELE + QUIT moves the messages to Trash,
 * where they get new UIDs and can be got back; the purge removes them after that many days, and
 * nothing else in Trash.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { purgeKeptDeleted } from '../../../src/access/pop3/keep-deleted.js';
import { applyConfig } from '../../../src/config/apply.js';
import { parseConfigText } from '../../../src/config/load.js';
import { officeYaml } from '../../helpers/context.js';
import { message } from '../../helpers/messages.js';
import { RawClient, startPop3, type Pop3Harness } from './harness.js';

const DAY = 86_400_000;
const silent = pino({ level: 'silent' });

describe('POP3 keepDeletedDays', () => {
  let h: Pop3Harness;
  before(async () => {
    h = await startPop3();
    const yaml = officeYaml.replace('addresses: [bob@example.test, robert@example.test] }', 'addresses: [bob@example.test, robert@example.test], keepDeletedDays: 7 }');
    const { config } = parseConfigText(yaml, 'keep.yaml');
    await applyConfig(h.ctx.store, config, { file: 'keep.yaml', prune: false, dryRun: false, unknownRecipientGiven: true });
    for (let i = 1; i <= 4; i++) await h.deliver('bob@example.test', message({ subject: `m${i}`, messageId: `<keep-${i}@t>` }));
    await h.deliver('jane@example.test', message({ subject: 'j', messageId: '<keep-j@t>', to: 'jane@example.test' }));
  });
  after(() => h.close());

  const trashOf = async (user: string) => {
    const box = (await h.ctx.store.imap.get(user, 'Trash'))!;
    const { entries } = await h.ctx.store.imap.index(box.id);
    return { box, messages: await h.ctx.store.imap.messages(box.id, entries.map((e) => e.uid)) };
  };

  it('DELE + QUIT moves the messages to Trash with new UIDs; the purge removes them after N days, not before', async () => {
    const inbox = await h.ctx.store.maildrops.snapshot('bob');
    const trashBefore = (await trashOf('bob')).box;
    const c = await RawClient.connect(h.port);
    await c.login();
    await c.command('DELE 1');
    await c.command('DELE 3');
    const deletedAt = Date.now();
    assert.equal(await c.command('QUIT'), '+OK Bye (2 messages deleted, kept in Trash for 7 days)');

    // The client sees them gone...
    const d = await RawClient.connect(h.port);
    await d.login();
    assert.equal((await d.command('STAT')).split(' ')[1], '2');
    await d.command('QUIT');
    assert.deepEqual((await h.ctx.store.maildrops.snapshot('bob')).messages.map((m) => m.uid), [inbox.messages[1]!.uid, inbox.messages[3]!.uid]);
    // ...and they are in Trash, same bytes, with the Trash's next UIDs.
    const trash = await trashOf('bob');
    assert.deepEqual(trash.messages.map((m) => m.uid), [trashBefore.uidNext, trashBefore.uidNext + 1]);
    assert.deepEqual(trash.messages.map((m) => m.blob), [inbox.messages[0]!.blob, inbox.messages[2]!.blob]);

    // A message the user moved to Trash themselves (IMAP) is their client's business, not the purge's.
    const inboxBox = (await h.ctx.store.imap.get('bob', 'INBOX'))!;
    await h.ctx.store.imap.move(inboxBox.id, [inbox.messages[3]!.uid], trash.box.id);

    assert.equal(await purgeKeptDeleted(h.ctx.store.maildrops, silent, deletedAt + 7 * DAY - 60_000), 0, 'kept for 7 days');
    assert.equal((await trashOf('bob')).messages.length, 3);
    assert.equal(await purgeKeptDeleted(h.ctx.store.maildrops, silent, deletedAt + 7 * DAY + 60_000), 2, 'removed after 7 days');
    const left = (await trashOf('bob')).messages;
    assert.deepEqual(left.map((m) => m.blob), [inbox.messages[3]!.blob], 'only the message moved by IMAP is left');
    assert.equal(await purgeKeptDeleted(h.ctx.store.maildrops, silent, deletedAt + 30 * DAY), 0);
  });

  it('a message got back from Trash is no longer purged', async () => {
    const c = await RawClient.connect(h.port);
    await c.login();
    await c.command('DELE 1');
    await c.command('QUIT');
    const trash = await trashOf('bob');
    const inboxBox = (await h.ctx.store.imap.get('bob', 'INBOX'))!;
    const kept = trash.messages.at(-1)!;
    await h.ctx.store.imap.move(trash.box.id, [kept.uid], inboxBox.id);
    assert.equal(await purgeKeptDeleted(h.ctx.store.maildrops, silent, Date.now() + 8 * DAY), 0);
    assert.ok((await h.ctx.store.maildrops.snapshot('bob')).messages.some((m) => m.blob === kept.blob), 'back in INBOX');
  });

  it('a user without it (0, the default) has deleted mail removed at once', async () => {
    const c = await RawClient.connect(h.port);
    await c.login('jane', 'janepw');
    await c.command('DELE 1');
    assert.equal(await c.command('QUIT'), '+OK Bye (1 messages deleted)');
    assert.equal((await h.ctx.store.maildrops.snapshot('jane')).messages.length, 0);
    assert.equal((await trashOf('jane')).messages.length, 0);
  });
});
