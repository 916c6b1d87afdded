import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyConfig, exportConfig } from '../../src/config/apply.js';
import { updateUser } from '../../src/config/edit.js';
import { ConfigError, parseConfigText } from '../../src/config/load.js';
import { verifyPassword } from '../../src/auth/passwords.js';
import { officeYaml, testContext, type TestContext } from '../helpers/context.js';

function problemsOf(yaml: string): string[] {
  try {
    parseConfigText(yaml, 'f.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

async function apply(ctx: TestContext, yaml: string, opts: { prune?: boolean; dryRun?: boolean } = {}) {
  const { config, given } = parseConfigText(yaml, 'f.yaml');
  return applyConfig(ctx.store, config, { file: 'f.yaml', prune: opts.prune ?? false, dryRun: opts.dryRun ?? false, unknownRecipientGiven: 'unknownRecipient' in given });
}

async function applyProblems(ctx: TestContext, yaml: string): Promise<string[]> {
  try {
    await apply(ctx, yaml);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  assert.fail('expected the file to be refused');
}

describe('config: schema errors name the key path', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['unknown top-level key with suggestion', 'hostnme: x\n', /^hostnme: unknown key; did you mean "hostname"\?$/],
    ['nested unknown key', 'listen: { pop: 110 }\n', /^listen\.pop: unknown key; did you mean "pop3"\?$/],
    ['wrong type', 'listen: { smtp: "25" }\n', /^listen\.smtp: Invalid input: expected number/],
    ['port out of range', 'listen: { smtp: 70000 }\n', /^listen\.smtp: .*65535/],
    ['bad enum', 'duplicates: { contentMatch: keep }\n', /^duplicates\.contentMatch: .*"hold"/],
    ['bad routing mode', 'collectors:\n  - { name: c, protocol: pop3, host: h, user: u, routing: { mode: usr } }\n', /^collectors\[0\]\.routing\.mode: expected one of "user", "headers"/],
    ['missing required', 'collectors:\n  - { name: c, protocol: pop3, user: u, routing: { mode: user, target: bob } }\n', /^collectors\[0\]\.host: required/],
    ['bad address', 'users:\n  - { name: bob, addresses: [bob-at-example] }\n', /^users\[0\]\.addresses\[0\]: not an e-mail address/],
    ['bad user name', 'users:\n  - { name: Bob Smith }\n', /^users\[0\]\.name: use lower-case/],
    ['YAML syntax', 'users: [\n', /^YAML: /],
    ['not a mapping', '- a\n- b\n', /expected a mapping/],
  ];
  for (const [name, yaml, re] of cases) {
    it(name, () => {
      const p = problemsOf(yaml);
      assert.ok(p.some((x) => re.test(x)), `got: ${JSON.stringify(p)}`);
    });
  }
  it('reports every problem at once', () => {
    assert.equal(problemsOf('hostnme: x\nlisten: { smtp: -1 }\nduplicates: { globalDays: "x" }\n').length, 3);
  });
});

describe('config: cross-references', () => {
  it('names a mistyped routing target with a suggestion, and changes nothing', async () => {
    const ctx = await testContext(officeYaml);
    try {
      const before = await exportConfig(ctx.store);
      const gen = await ctx.store.config.generation();
      const p = await applyProblems(
        ctx,
        officeYaml.replace('hostname: mail.example.test', 'hostname: changed.example.test') +
          'collectors:\n  - { name: a, protocol: pop3, host: h, user: u, routing: { mode: user, target: bob } }\n  - { name: b, protocol: pop3, host: h2, user: u, routing: { mode: user, target: bbo } }\n',
      );
      assert.deepEqual(p, ['collectors[1].routing.target: no user or list named "bbo"; did you mean "bob"?']);
      assert.equal((await exportConfig(ctx.store)).replace(/exported \S+/, ''), before.replace(/exported \S+/, ''));
      assert.equal(await ctx.store.config.generation(), gen);
    } finally {
      await ctx.cleanup();
    }
  });

  it('refuses two collectors on the same ISP mailbox, addresses owned twice, unknown list members', async () => {
    const ctx = await testContext();
    try {
      const p = await applyProblems(
        ctx,
        `domains: [example.test]
users:
  - { name: bob, addresses: [bob@example.test] }
  - { name: jane, addresses: [BOB@example.test] }
lists:
  - { name: staff, address: staff@example.test, members: [bob, jnae] }
  - { name: bob, address: b2@example.test }
collectors:
  - { name: a, protocol: pop3, host: pop.isp.test, port: 110, security: none, user: bob@isp.test, routing: { mode: user, target: bob } }
  - { name: b, protocol: pop3, host: POP.isp.test, security: none, user: bob@isp.test, routing: { mode: user, target: jane } }
unknownRecipient: nobody
`,
      );
      assert.deepEqual(p, [
        'users[1].addresses[0]: bob@example.test already belongs to user "bob"',
        'lists[1].name: "bob" is also user "bob"',
        'lists[0].members[1]: no user or list named "jnae"; did you mean "jane"?',
        'collectors[1]: downloads the same ISP mailbox as collectors[0] (pop3://bob@isp.test@pop.isp.test:110); two collectors on one mailbox fetch every message twice: remove one',
        'unknownRecipient: no user or list named "nobody"',
      ]);
      assert.deepEqual(await ctx.store.users.list(), []);
    } finally {
      await ctx.cleanup();
    }
  });
});

describe('config: apply and export', () => {
  it('is idempotent, hashes passwords, and round-trips through export', async () => {
    const ctx = await testContext();
    try {
      const first = await apply(ctx, officeYaml);
      assert.ok(first.changes.includes('user bob: added'));
      assert.ok(first.changes.includes('list staff: added'));
      const bob = await ctx.store.users.get('bob');
      assert.match(bob!.passwordHash!, /^\$argon2id\$/);
      assert.ok(await verifyPassword(bob!.passwordHash, 'bobpw'));
      assert.deepEqual((await apply(ctx, officeYaml)).changes, []);

      const exported = await exportConfig(ctx.store);
      assert.doesNotMatch(exported, /bobpw|argon2/);
      assert.deepEqual((await apply(ctx, exported)).changes, [], 'applying the export changes nothing');
      assert.ok(await verifyPassword((await ctx.store.users.get('bob'))!.passwordHash, 'bobpw'), 'password kept');
    } finally {
      await ctx.cleanup();
    }
  });

  it('prints what changed, and keeps users that are not in the file unless --prune', async () => {
    const ctx = await testContext(officeYaml);
    try {
      const edited = officeYaml.replace('password: bobpw, addresses: [bob@example.test, robert@example.test]', 'password: newpw, addresses: [bob@example.test]').replace(/.*name: jane.*\n/, '').replace('members: [bob, jane,', 'members: [bob,');
      const r = await apply(ctx, edited);
      assert.deepEqual(r.changes, ['user bob: addresses bob@example.test, robert@example.test → bob@example.test; password changed', 'list staff: changed']);
      assert.ok(r.notes.some((n) => n.startsWith('user jane: not in the file, kept')));
      assert.ok(await ctx.store.users.get('jane'));
      const dry = await apply(ctx, edited, { prune: true, dryRun: true });
      assert.deepEqual(dry.changes, ['user jane: removed (their mailboxes are kept)']);
      assert.ok(await ctx.store.users.get('jane'), 'dry run changes nothing');
      const pruned = await apply(ctx, edited, { prune: true });
      assert.deepEqual(pruned.changes, ['user jane: removed (their mailboxes are kept)']);
      assert.equal(await ctx.store.users.get('jane'), undefined);
    } finally {
      await ctx.cleanup();
    }
  });

  it('round-trips keepDeletedDays (POP3 hold-instead-of-delete) through apply, export and the admin pages\' edits', async () => {
    const ctx = await testContext();
    const keep = officeYaml.replace('addresses: [bob@example.test, robert@example.test] }', 'addresses: [bob@example.test, robert@example.test], keepDeletedDays: 30 }');
    try {
      await apply(ctx, keep);
      assert.equal((await ctx.store.users.get('bob'))!.keepDeletedDays, 30);
      assert.equal((await ctx.store.users.get('jane'))!.keepDeletedDays, 0, 'default 0');
      const exported = await exportConfig(ctx.store);
      assert.match(exported, /keepDeletedDays: 30/);
      assert.equal(exported.match(/keepDeletedDays/g)!.length, 1, 'written only where set');
      assert.deepEqual((await apply(ctx, exported)).changes, [], 'applying the export changes nothing');
      await updateUser(ctx.store, 'bob', { addresses: ['bob@example.test'], admin: false });
      assert.equal((await ctx.store.users.get('bob'))!.keepDeletedDays, 30, 'an edit of other fields keeps it');
      assert.deepEqual((await apply(ctx, officeYaml)).changes, ['user bob: addresses bob@example.test → bob@example.test, robert@example.test; keeps POP3-deleted mail 30 → 0 days']);
      assert.equal((await ctx.store.users.get('bob'))!.keepDeletedDays, 0);
      for (const bad of ['-1', '1.5', '"7"']) {
        assert.ok(problemsOf(officeYaml.replace('addresses: [jane@example.test] }', `addresses: [jane@example.test], keepDeletedDays: ${bad} }`)).some((p) => p.includes('keepDeletedDays')), bad);
      }
    } finally {
      await ctx.cleanup();
    }
  });

  it('keeps collector and relay passwords when the file leaves them out', async () => {
    const ctx = await testContext();
    const withPw = `domains: [example.test]
users: [{ name: bob }]
relay: { host: smtp.isp.test, user: u, password: relaypw }
collectors:
  - { name: c, protocol: imap, host: imap.isp.test, user: u, password: secret, routing: { mode: user, target: bob } }
`;
    try {
      await apply(ctx, withPw);
      const r = await apply(ctx, withPw.replace(', password: secret', '').replace(', password: relaypw', ''));
      assert.deepEqual(r.changes, []);
      const snap = await ctx.store.config.snapshot();
      assert.equal(snap.collectors[0]!.password, 'secret');
      assert.equal(snap.settings.relay!.password, 'relaypw');
      assert.equal(snap.collectors[0]!.port, undefined);
      assert.doesNotMatch(await exportConfig(ctx.store), /secret|relaypw/);
    } finally {
      await ctx.cleanup();
    }
  });
});
