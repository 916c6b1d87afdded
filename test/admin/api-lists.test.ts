/** /api/lists (inject): list, create, replace, patch, delete through config/edit.ts; problems name the key. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loggedInAdmin } from './helpers.js';

describe('admin JSON API: lists', () => {
  const s = loggedInAdmin();

  it('needs a token, and lists the lists', async () => {
    assert.equal((await s.call('GET', '/api/lists', undefined, {})).statusCode, 401);
    const r = await s.call('GET', '/api/lists');
    assert.equal(r.statusCode, 200);
    assert.deepEqual(r.json(), [{ name: 'staff', address: 'staff@example.test', type: 'distribution', members: ['bob', 'jane', 'partner@elsewhere.test'] }]);
    assert.equal((await s.call('GET', '/api/lists/staff')).json().address, 'staff@example.test');
    assert.equal((await s.call('GET', '/api/lists/nope')).statusCode, 404);
  });

  it('creates a mailing list; a bad one answers 400 with the key named', async () => {
    const bad = await s.call('POST', '/api/lists', { name: 'board', address: 'board@example.test', type: 'newsletter', members: ['bobb'] });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json<{ problems: string[] }>().problems.join('\n'), /lists\[\d\]\.type: /);
    const unknown = await s.call('POST', '/api/lists', { name: 'board', address: 'board@example.test', members: ['bobb'] });
    assert.match(unknown.json<{ problems: string[] }>().problems[0]!, /^lists\[\d\]\.members\[0\]: no user or list named "bobb"; did you mean "bob"\?/);
    const ok = await s.call('POST', '/api/lists', { name: 'board', address: 'board@example.test', type: 'mailing', members: ['bob', 'jane'], membersOnly: true });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(ok.json<{ changes: string[] }>().changes, ['list board: added']);
    assert.deepEqual(await s.h.ctx.store.config.list('board'), { name: 'board', address: 'board@example.test', type: 'mailing', members: ['bob', 'jane'], membersOnly: true });
    assert.equal((await s.call('POST', '/api/lists', { name: 'board', address: 'b2@example.test' })).json<{ problems: string[] }>().problems[0], 'list "board" already exists');
  });

  it('PATCH changes the given fields only; PUT replaces the list', async () => {
    const patch = await s.call('PATCH', '/api/lists/board', { noSelfCopy: true, members: ['bob', 'jane', 'advisor@elsewhere.test'] });
    assert.equal(patch.statusCode, 200);
    assert.deepEqual(await s.h.ctx.store.config.list('board'), { name: 'board', address: 'board@example.test', type: 'mailing', members: ['bob', 'jane', 'advisor@elsewhere.test'], membersOnly: true, noSelfCopy: true });
    const put = await s.call('PUT', '/api/lists/board', { address: 'board@example.test', members: ['postmaster'] });
    assert.equal(put.statusCode, 200);
    assert.deepEqual(await s.h.ctx.store.config.list('board'), { name: 'board', address: 'board@example.test', type: 'distribution', members: ['postmaster'] });
    const rename = await s.call('PUT', '/api/lists/board', { name: 'directors', address: 'directors@example.test', members: ['postmaster'] });
    assert.equal(rename.statusCode, 200);
    assert.equal(await s.h.ctx.store.config.list('board'), undefined);
    assert.equal((await s.h.ctx.store.config.ownerOf('directors@example.test'))?.name, 'directors');
    assert.equal((await s.call('PATCH', '/api/lists/nope', { members: [] })).statusCode, 400);
  });

  it('DELETE removes a list, unless something still names it', async () => {
    await s.call('PATCH', '/api/lists/staff', { members: ['bob', 'directors'] });
    const refused = await s.call('DELETE', '/api/lists/directors');
    assert.equal(refused.statusCode, 400);
    assert.match(refused.json<{ problems: string[] }>().problems[0]!, /members\[1\]: no user or list named "directors"/);
    await s.call('PATCH', '/api/lists/staff', { members: ['bob'] });
    const ok = await s.call('DELETE', '/api/lists/directors');
    assert.deepEqual(ok.json<{ changes: string[] }>().changes, ['list directors: removed']);
    assert.equal(await s.h.ctx.store.config.list('directors'), undefined);
  });
});
