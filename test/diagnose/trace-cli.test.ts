/** `postroom trace` through the real CLI: a search, a search with one match, --id, --json, a bad field. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { run } from '../helpers/cli.js';
import { officeYaml, testContext, type TestContext } from '../helpers/context.js';
import { message } from '../helpers/messages.js';

describe('postroom trace', () => {
  let ctx: TestContext;
  let first = 0;
  before(async () => {
    ctx = await testContext(officeYaml);
    const ingest = async (subject: string, id: string) =>
      (await ctx.pipeline.ingest({ source: { kind: 'smtp', name: 'mx.remote.test [192.0.2.9]' }, routing: { mode: 'envelope', recipients: ['bob@example.test'] }, content: [message({ subject, messageId: id })] })).ingestId;
    first = await ingest('Invoice 1', '<i1@remote.test>');
    await ingest('Invoice 2', '<i2@remote.test>');
  });
  after(() => ctx.cleanup());

  it('lists the matches, newest first', async () => {
    const r = await run(ctx.dataDir, ['trace', 'invoice', '--field', 'subject']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^#\d+\t.*\tAlice <alice@remote\.test> -> bob\tInvoice 2\t1 delivered$/);
  });

  it('prints the timeline when one message matches, or by --id', async () => {
    const r = await run(ctx.dataDir, ['trace', '<i1@remote.test>', '--field', 'messageId']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Message #${first}: Invoice 1\n`));
    assert.match(r.stdout, /arrived +arrived by SMTP from mx\.remote\.test \[192\.0\.2\.9\]/);
    assert.match(r.stdout, /delivered +delivered to bob: INBOX, UID 1/);
    const j = JSON.parse((await run(ctx.dataDir, ['trace', '--id', String(first), '--json'])).stdout) as { subject: string; events: unknown[] };
    assert.equal(j.subject, 'Invoice 1');
    assert.equal(j.events.length, 3);
  });

  it('refuses an unknown field or message', async () => {
    const r = await run(ctx.dataDir, ['trace', 'x', '--field', 'body']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--field body: use one of any, from, to, subject, messageId/);
    assert.equal((await run(ctx.dataDir, ['trace', '--id', '9999'])).code, 2);
  });
});
