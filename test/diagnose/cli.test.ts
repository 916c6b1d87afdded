/** `postroom diagnose` through the real CLI: by Message-ID (text and JSON), by two UIDs, by two .eml files, --report. */
import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run } from '../helpers/cli.js';
import { testContext, type TestContext } from '../helpers/context.js';
import { arrive, fromCollector, headersRouting, officeWithCollectors, supplierMail } from './fixtures.js';

const BOB_BOX = 'pop3://bob@example.test@pop.isp.example:995';
const JANE_BOX = 'pop3://jane@example.test@pop.isp.example:995';

describe('postroom diagnose', () => {
  let ctx: TestContext;
  let blobs: string[] = [];
  before(async () => {
    ctx = await testContext(officeWithCollectors);
    // The same message from Bob's and Jane's own ISP mailboxes, both routed by headers.
    const a = await arrive(ctx, fromCollector('bob-isp', BOB_BOX, '000012ab4f', 's-bob'), headersRouting, supplierMail());
    const b = await arrive(ctx, fromCollector('jane-isp', JANE_BOX, '00000e91c2', 's-jane'), headersRouting, supplierMail());
    // And a download repeated under a new UIDL (byte-identical as it arrived).
    const raw = supplierMail({ messageId: '<rep-77@supplier.example>', subject: 'Delivery schedule January', trace: ['Delivered-To: bob@example.test'] });
    const c = await arrive(ctx, fromCollector('bob-isp', BOB_BOX, '000013aa01', 's-1'), headersRouting, raw);
    const d = await arrive(ctx, fromCollector('bob-isp', BOB_BOX, '000013bb02', 's-2'), headersRouting, raw);
    blobs = [a.blob, b.blob, c.blob, d.blob];
  });
  after(async () => ctx.cleanup());

  it('by Message-ID: plain text names the cause and the fix', async () => {
    const r = await run(ctx.dataDir, ['diagnose', 'jane', '--message-id', '<20261123081400.4471@supplier.example>']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^jane, Message-ID <20261123081400\.4471@supplier\.example>: 2 copies \(1 delivered, 1 suppressed\): one ISP mailbox per user, collected with header routing\./);
    assert.match(r.stdout, /Cause: one ISP mailbox per user, collected with header routing \(per-user-mailboxes-header-routing\)/);
    assert.match(r.stdout, /What to do: Send each personal ISP mailbox to its owner: collector "bob-isp"/);
  });

  it('by Message-ID as JSON', async () => {
    const r = await run(ctx.dataDir, ['diagnose', 'jane', '--message-id', '20261123081400.4471@supplier.example', '--json']);
    const d = JSON.parse(r.stdout) as { findings: Array<{ cause: string; outcome: string }>; copies: Array<{ outcome: string; source: string }> };
    assert.deepEqual(d.findings.map((f) => [f.cause, f.outcome]), [['per-user-mailboxes-header-routing', 'suppressed']]);
    assert.deepEqual(d.copies.map((c) => c.outcome), ['delivered', 'suppressed']);
    assert.match(d.copies[1]!.source, /^collector jane-isp \[pop3:\/\/jane@example\.test@pop\.isp\.example:995 00000e91c2\]/);
  });

  it('by two mailbox UIDs: unrelated messages are called different', async () => {
    const r = await run(ctx.dataDir, ['diagnose', 'bob', '--uid', '1', '--uid', '2', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const d = JSON.parse(r.stdout) as { findings: Array<{ cause: string }> };
    assert.deepEqual(d.findings.map((f) => f.cause), ['different-messages']);
    const missing = await run(ctx.dataDir, ['diagnose', 'bob', '--uid', '1', '--uid', '99']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no message with UID 99 in INBOX/);
  });

  it('by two saved .eml files: our Received line tells the door and the UIDL', async () => {
    const files = [path.join(ctx.dataDir, 'one.eml'), path.join(ctx.dataDir, 'two.eml')];
    await copyFile(ctx.blobs.pathOf(blobs[2]!), files[0]!);
    await copyFile(ctx.blobs.pathOf(blobs[3]!), files[1]!);
    const r = await run(ctx.dataDir, ['diagnose', '--eml', files[0]!, '--eml', files[1]!]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Cause: a download cut off mid-session and fetched again \(download-repeated\)/);
    assert.match(r.stdout, /under a new UIDL \(000013bb02, was 000013aa01\)/);
  });

  it('--report counts suppressed and held copies per cause', async () => {
    const r = await run(ctx.dataDir, ['diagnose', '--report', '--days', '3', '--json']);
    const rep = JSON.parse(r.stdout) as { causes: Array<{ cause: string; suppressed: number; held: number }>; total: { suppressed: number; held: number } };
    assert.deepEqual(
      rep.causes.map((c) => [c.cause, c.suppressed, c.held]).sort(),
      [['download-repeated', 1, 0], ['per-user-mailboxes-header-routing', 2, 0]],
    );
    const text = await run(ctx.dataDir, ['diagnose', '--report']);
    assert.match(text.stdout, /: 3 suppressed, 0 held\./);
    assert.match(text.stdout, /^ +2 +0 +one ISP mailbox per user, collected with header routing/m);
  });
});
