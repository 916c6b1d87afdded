/** The Lists page (inject): list, add, edit, remove through config/edit.ts; validation names the field; CSRF. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fieldsWithProblems } from '../../src/admin/pages/lists.js';
import { loggedInAdmin, text } from './helpers.js';

describe('admin lists page', () => {
  const s = loggedInAdmin();

  it('is in the navigation and shows each list with its members', async () => {
    const page = await s.b.get('/lists');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<a href="\/lists" aria-current="page">Lists<\/a>/);
    const t = text(page.body);
    assert.match(t, /staff staff@example\.test distribution list bob, jane, partner@elsewhere\.test 3 members, 1 by address/);
  });

  it('adds a mailing list with members and options; the store has it', async () => {
    const before = await s.h.ctx.store.config.generation();
    await s.b.get('/lists/new');
    const r = await s.b.post('/lists', { name: 'board', address: 'Board@Example.test', type: 'mailing', members: 'bob\njane\nadvisor@elsewhere.test', membersOnly: '1', noSelfCopy: '1' });
    const page = await s.b.follow(r);
    assert.match(text(page.body), /Added list board\. Saved/);
    assert.match(text(page.body), /list board: added/);
    assert.deepEqual(await s.h.ctx.store.config.list('board'), { name: 'board', address: 'board@example.test', type: 'mailing', members: ['bob', 'jane', 'advisor@elsewhere.test'], membersOnly: true, noSelfCopy: true });
    assert.deepEqual(await s.h.ctx.store.config.ownerOf('board@example.test'), { kind: 'list', name: 'board' });
    assert.ok((await s.h.ctx.store.config.generation()) > before);
    assert.match(text(page.body), /board board@example\.test mailing list members only no self-copy/);
  });

  it('refuses a bad list naming the field, and keeps what was typed', async () => {
    await s.b.get('/lists/new');
    const r = await s.b.post('/lists', { name: 'sales', address: 'not-an-address', type: 'distribution', members: 'bobb\nstranger@elsewhere.test' });
    assert.equal(r.statusCode, 400);
    const t = text(r.body);
    assert.match(t, /Nothing was saved/);
    assert.match(t, /lists\[\d\]\.address: not an e-mail address/);
    assert.match(r.body, /bobb\nstranger@elsewhere\.test<\/textarea>/, 'the typed members are kept');
    assert.match(r.body, /value="not-an-address"/);
    assert.match(r.body, /id="address" name="address" aria-invalid="true"/, 'the field is marked');
    assert.match(r.body, /id="members" name="members" rows/, 'the members were not checked yet: not marked');
    await s.b.get('/lists/new');
    const unknown = await s.b.post('/lists', { name: 'sales', address: 'sales@example.test', type: 'distribution', members: 'bobb' });
    assert.match(text(unknown.body), /lists\[\d\]\.members\[0\]: no user or list named "bobb"; did you mean "bob"\?/);
    assert.match(unknown.body, /id="members" name="members" aria-invalid="true"/);
    assert.match(unknown.body, /id="address" name="address" type/);
    await s.b.get('/lists/new');
    const taken = await s.b.post('/lists', { name: 'sales', address: 'jane@example.test', type: 'distribution', members: 'bob' });
    assert.match(text(taken.body), /lists\[\d\]\.address: jane@example\.test already belongs to user "jane"/);
    await s.b.get('/lists/new');
    const dup = await s.b.post('/lists', { name: 'staff', address: 'staff2@example.test', type: 'distribution' });
    assert.match(text(dup.body), /list "staff" already exists/);
    assert.equal(await s.h.ctx.store.config.list('sales'), undefined);
  });

  it('marks only the fields of the edited list (a problem of another list is shown at the top only)', () => {
    const problems = ['lists[0].members[2]: no user or list named "board"', 'lists[1].address: not an e-mail address', 'lists[1].members[0]: no user or list named "x"', 'lists[1].members[1]: no user or list named "y"'];
    assert.deepEqual(fieldsWithProblems(problems, 1), ['address', 'members']);
    assert.deepEqual(fieldsWithProblems(problems, 0), ['members']);
    assert.deepEqual(fieldsWithProblems(['list "staff" already exists'], 0), []);
  });

  it('edits a list: renames it, changes members, turns options off', async () => {
    const form = await s.b.get('/lists/board');
    assert.match(form.body, /id="membersOnly" name="membersOnly" type="checkbox" value="1" checked/);
    const r = await s.b.post('/lists/board', { name: 'directors', address: 'board@example.test', type: 'mailing', members: 'bob, postmaster' });
    assert.match(text((await s.b.follow(r)).body), /List directors: Saved/);
    assert.equal(await s.h.ctx.store.config.list('board'), undefined);
    assert.deepEqual(await s.h.ctx.store.config.list('directors'), { name: 'directors', address: 'board@example.test', type: 'mailing', members: ['bob', 'postmaster'] });
  });

  it('says on the confirmation what happens to mail for the address, then removes the list', async () => {
    const confirm = text((await s.b.get('/lists/directors/remove')).body);
    assert.match(confirm, /Remove the list directors \(board@example\.test, 2 members\)/);
    assert.match(confirm, /refused \(550 5\.1\.1\)/);
    assert.match(confirm, /downloaded by a collector goes to the “unknown recipient” user postmaster/);
    const r = await s.b.post('/lists/directors/remove', {});
    assert.match(text((await s.b.follow(r)).body), /Removed list directors\..*list directors: removed/);
    assert.equal(await s.h.ctx.store.config.list('directors'), undefined);
    assert.equal(await s.h.ctx.store.config.ownerOf('board@example.test'), undefined);
  });

  it('refuses to remove a list another list names, and says why', async () => {
    await s.b.get('/lists/new');
    await s.b.post('/lists', { name: 'everyone', address: 'everyone@example.test', type: 'distribution', members: 'staff\npostmaster' });
    await s.b.get('/lists/staff/remove');
    const page = text((await s.b.follow(await s.b.post('/lists/staff/remove', {}))).body);
    assert.match(page, /List staff was not removed\..*lists\[\d\]\.members\[0\]: no user or list named "staff"/);
    assert.ok(await s.h.ctx.store.config.list('staff'));
  });

  it('needs the CSRF token; unknown lists are 404', async () => {
    await s.b.get('/lists/new');
    const r = await s.b.post('/lists', { name: 'x', address: 'x@example.test', type: 'distribution' }, false);
    assert.equal(r.statusCode, 403);
    assert.equal(await s.h.ctx.store.config.list('x'), undefined);
    assert.equal((await s.b.get('/lists/nope')).statusCode, 404);
    assert.equal((await s.b.get('/lists/nope/remove')).statusCode, 404);
  });
});
