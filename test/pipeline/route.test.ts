import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ListConfig, Settings } from '../../src/config/schema.js';
import { storeDirectory } from '../../src/pipeline/directory.js';
import type { Store } from '../../src/store/interfaces.js';
import { parseHeaderBlock } from '../../src/pipeline/header-fields.js';
import { route, type Directory, type RoutingSpec } from '../../src/pipeline/route.js';

const users = new Map([
  ['bob', ['bob@example.test', 'robert@example.test']],
  ['jane', ['jane@example.test']],
  ['postmaster', ['postmaster@example.test']],
]);
const lists: ListConfig[] = [
  { name: 'staff', address: 'staff@example.test', type: 'distribution', members: ['bob', 'jane', 'partner@elsewhere.test', 'all'] },
  { name: 'all', address: 'all@example.test', type: 'distribution', members: ['staff', 'jane@example.test'] },
];

const dir: Directory = {
  domains: ['example.test', 'example.org'],
  unknownRecipient: 'postmaster',
  ownerOf: async (a) => {
    for (const [name, addrs] of users) if (addrs.includes(a)) return { kind: 'user', name };
    const l = lists.find((x) => x.address === a);
    return l ? { kind: 'list', name: l.name } : undefined;
  },
  userExists: async (n) => users.has(n),
  list: async (n) => lists.find((l) => l.name === n),
  fallbackUser: async () => 'postmaster',
};

const headers = (s: string) => parseHeaderBlock(Buffer.from(s.replace(/\n/g, '\r\n')));
const envHeaders: RoutingSpec = { mode: 'headers', envelopeHeaders: ['Delivered-To', 'X-Original-To', 'Received'] };

const cases: Array<{ name: string; spec: RoutingSpec; head?: string; users: string[]; external?: string[] }> = [
  { name: 'user mode sends everything to the target', spec: { mode: 'user', target: 'jane' }, head: 'To: bob@example.test\n', users: ['jane'] },
  { name: 'user mode to a list expands it', spec: { mode: 'user', target: 'staff' }, users: ['bob', 'jane'], external: ['partner@elsewhere.test'] },
  { name: 'envelope: alias and main address give one user', spec: { mode: 'envelope', recipients: ['bob@example.test', 'Robert@Example.test'] }, users: ['bob'] },
  { name: 'envelope: unknown local address goes to unknownRecipient', spec: { mode: 'envelope', recipients: ['nobody@example.test'] }, users: ['postmaster'] },
  { name: 'envelope: user name at a local domain reaches the user', spec: { mode: 'envelope', recipients: ['jane@example.org'] }, users: ['jane'] },
  { name: 'envelope: remote address is external', spec: { mode: 'envelope', recipients: ['x@remote.test'] }, users: [], external: ['x@remote.test'] },
  {
    name: 'headers: Delivered-To wins over To/Cc (one ISP copy per recipient)',
    spec: envHeaders,
    head: 'Delivered-To: jane@example.test\nTo: bob@example.test, jane@example.test\n',
    users: ['jane'],
  },
  {
    name: 'headers: the first configured header with a local address is used',
    spec: envHeaders,
    head: 'Delivered-To: someone@isp.test\nX-Original-To: bob@example.test\nTo: jane@example.test\n',
    users: ['bob'],
  },
  {
    name: 'headers: Received "for <addr>"',
    spec: envHeaders,
    head: 'Received: from mx.isp.test by pop.isp.test with ESMTP id 1\n\tfor <robert@example.test>; Mon, 23 Nov 2026 10:00:00 +0000\nTo: undisclosed-recipients:;\n',
    users: ['bob'],
  },
  {
    name: 'headers: no envelope header falls back to To/Cc/Resent-To restricted to local domains',
    spec: envHeaders,
    head: 'To: Bob <bob@example.test>, out@remote.test\nCc: "Team" <staff@example.test>\nResent-To: postmaster@example.test\n',
    users: ['bob', 'jane', 'postmaster'],
    external: ['partner@elsewhere.test'],
  },
  { name: 'headers: no local recipient at all goes to unknownRecipient', spec: envHeaders, head: 'To: out@remote.test\n', users: ['postmaster'] },
  { name: 'headers: routing.unknown overrides unknownRecipient', spec: { ...envHeaders, unknown: 'jane' } as RoutingSpec, head: 'To: ghost@example.test\n', users: ['jane'] },
  { name: 'headers: garbage address header still routes somewhere', spec: envHeaders, head: 'To: <<<@@\nCc: ,,,\n', users: ['postmaster'] },
  { name: 'lists nested in a cycle expand once', spec: { mode: 'envelope', recipients: ['all@example.test'] }, users: ['bob', 'jane'], external: ['partner@elsewhere.test'] },
  { name: 'a missing target falls back to an admin, never dropped', spec: { mode: 'user', target: 'ghost' }, users: ['postmaster'] },
];

describe('route', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const d = await route(c.spec, headers(c.head ?? ''), dir);
      assert.deepEqual([...d.recipients.keys()].sort(), c.users);
      assert.deepEqual(d.external, c.external ?? []);
      assert.ok(d.notes.length > 0 || c.spec.mode === 'envelope');
    });
  }
});

describe('storeDirectory for a batch (memoize)', () => {
  it('asks the store each question once per directory, and again after a failure', async () => {
    const asked: string[] = [];
    let failNext = true;
    const store = {
      config: {
        ownerOf: async (a: string) => (asked.push(`owner ${a}`), undefined),
        list: async (n: string) => (asked.push(`list ${n}`), undefined),
      },
      users: {
        get: async (n: string) => {
          asked.push(`user ${n}`);
          if (failNext) {
            failNext = false;
            throw new Error('busy');
          }
          return n === 'bob' ? { name: 'bob' } : undefined;
        },
        list: async () => (asked.push('users'), [{ name: 'jane', admin: true }]),
      },
    } as unknown as Store;
    const settings = { domains: ['example.test'], unknownRecipient: 'postmaster' } as Settings;
    const batch = storeDirectory(store, settings, { memoize: true });
    await assert.rejects(batch.userExists('bob'), /busy/);
    assert.equal(await batch.userExists('bob'), true);
    assert.equal(await batch.userExists('bob'), true);
    assert.equal(await batch.ownerOf('x@example.test'), undefined);
    assert.equal(await batch.ownerOf('x@example.test'), undefined);
    assert.equal(await batch.fallbackUser(), 'jane');
    assert.equal(await batch.fallbackUser(), 'jane');
    assert.deepEqual(asked, ['user bob', 'user bob', 'owner x@example.test', 'users']);
    // A directory without memoize (one delivery) asks every time.
    const single = storeDirectory(store, settings);
    await single.userExists('bob');
    await single.userExists('bob');
    assert.equal(asked.filter((a) => a === 'user bob').length, 4);
  });
});
