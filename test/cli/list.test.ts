/** `postroom list`: lists from the command line, through the same checked edits as the admin pages. */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { openDataDir } from '../../src/server/data-dir.js';
import { officeYaml, testContext, type TestContext } from '../helpers/context.js';
import { run } from '../helpers/cli.js';

describe('postroom list', () => {
  let ctx: TestContext;
  before(async () => {
    // The configuration is applied here, then the data directory is the CLI's.
    ctx = await testContext(officeYaml);
    await ctx.close();
  });
  after(() => rm(ctx.dataDir, { recursive: true, force: true }));
  const postroom = (...args: string[]) => run(ctx.dataDir, args);

  it('adds a mailing list, changes its members, shows it, and the pipeline delivers to it', async () => {
    const add = await postroom('list', 'add', 'sales', 'sales@example.test', '-m', 'bob', '--mailing', '--members-only', '--no-self-copy');
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, /^list sales: added$/m);
    assert.equal((await postroom('list', 'add-member', 'sales', 'jane', 'partner@elsewhere.test')).code, 0);
    const shown = await postroom('list', 'show', 'sales');
    assert.equal(shown.stdout, 'sales\tsales@example.test\tmailing\t3 member(s)\tmembers only, no copy to the poster\n  bob\n  jane\n  partner@elsewhere.test\n');
    assert.match((await postroom('list')).stdout, /^sales\tsales@example\.test\tmailing\t3 member\(s\)/m);
    assert.equal((await postroom('list', 'remove-member', 'sales', 'partner@elsewhere.test')).code, 0);
    // What the CLI stored is what routing uses: a post from a member reaches the other member.
    const data = await openDataDir(ctx.dataDir, pino({ level: 'silent' }));
    try {
      const r = await data.pipeline.ingest({
        source: { kind: 'cli', name: 'test' },
        routing: { mode: 'envelope', recipients: ['sales@example.test'] },
        content: Readable.from([Buffer.from('From: bob@example.test\r\nTo: sales@example.test\r\nSubject: Figures\r\nMessage-ID: <fig@example.test>\r\n\r\nhi\r\n')]),
      });
      assert.equal(r.spawned?.length, 1, 'the mailing list made its copy');
      const copy = await data.pipeline.process(r.spawned![0]!);
      assert.deepEqual(copy.results.map((x) => x.user).sort(), ['jane'], 'jane gets it; bob, the poster, does not (--no-self-copy)');
    } finally {
      await data.close();
    }
  });

  it('refuses mistakes with the key and the reason, changing nothing', async () => {
    const unknown = await postroom('list', 'add-member', 'sales', 'ghost');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /nothing was changed:\n {2}lists\[\d+\]\.members\[\d+\]: no user or list named "ghost"/);
    const taken = await postroom('list', 'add', 'dup', 'bob@example.test');
    assert.equal(taken.code, 2);
    assert.match(taken.stderr, /bob@example\.test already belongs to user "bob"/);
    const notMember = await postroom('list', 'remove-member', 'sales', 'carol');
    assert.equal(notMember.code, 2);
    assert.match(notMember.stderr, /not members of sales: carol/);
    assert.match((await postroom('list', 'show', 'nope')).stderr, /no list named "nope"/);
    assert.match((await postroom('list', 'show', 'sales')).stdout, /2 member\(s\)/, 'unchanged');
  });

  it('removes a list', async () => {
    assert.match((await postroom('list', 'remove', 'sales')).stdout, /^list sales: removed$/m);
    assert.doesNotMatch((await postroom('list')).stdout, /^sales\t/m);
  });
});
