/** The JSON API: token auth, and the same edits as the pages (inject). */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminHarness, type AdminHarness } from './helpers.js';

describe('admin JSON API', () => {
  let h: AdminHarness;
  let auth: Record<string, string>;
  const call = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object, headers = auth) =>
    h.app.inject({ method, url, ...(payload ? { payload } : {}), headers });
  before(async () => {
    h = await adminHarness();
  });
  after(async () => h.cleanup());

  it('needs a bearer token from POST /api/login; a session cookie does not count', async () => {
    assert.equal((await call('GET', '/api/users', undefined, {})).statusCode, 401);
    assert.equal((await call('GET', '/api/health', undefined, {})).statusCode, 200, 'health is public');
    assert.equal((await call('POST', '/api/login', { login: 'postmaster', password: 'wrong' }, {})).statusCode, 401);
    assert.equal((await call('POST', '/api/login', { login: 'bob', password: 'bobpw' }, {})).statusCode, 401, 'not an admin');
    const r = await call('POST', '/api/login', { login: 'postmaster', password: 'pm' }, {});
    assert.equal(r.statusCode, 200);
    const { token } = r.json<{ token: string }>();
    auth = { authorization: `Bearer ${token}` };
    assert.equal((await call('GET', '/api/users')).statusCode, 200);
    assert.equal((await call('GET', '/', undefined, { cookie: `postroom_session=${token}` })).statusCode, 303, 'an API token is not a browser session');
  });

  it('adds, edits and removes a user; problems name the key', async () => {
    const bad = await call('POST', '/api/users', { name: 'carol', addresses: ['nope'], password: 'pw-carol-1' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json<{ problems: string[] }>().problems[0]!, /^users\[\d\]\.addresses\[0\]: not an e-mail address/);
    const ok = await call('POST', '/api/users', { name: 'carol', addresses: ['carol@example.test'], password: 'pw-carol-1' });
    assert.deepEqual(ok.json<{ changes: string[] }>().changes, ['user carol: added']);
    const put = await call('PUT', '/api/users/carol', { addresses: ['carol@example.test', 'cc@example.test'], admin: false });
    assert.equal(put.statusCode, 200);
    const users = (await call('GET', '/api/users')).json<Array<{ name: string; addresses: string[]; hasPassword: boolean }>>();
    assert.deepEqual(users.find((u) => u.name === 'carol'), { name: 'carol', addresses: ['carol@example.test', 'cc@example.test'], admin: false, hasPassword: true });
    assert.equal((await call('DELETE', '/api/users/carol')).statusCode, 200);
    assert.equal(await h.ctx.store.users.get('carol'), undefined);
    assert.equal((await call('DELETE', '/api/users/postmaster')).statusCode, 400, 'not yourself');
  });

  it('manages collectors without ever returning their passwords, and patches settings', async () => {
    const c = { name: 'isp', protocol: 'pop3', host: 'pop.isp.test', user: 'u', password: 'secret-pw', routing: { mode: 'user', target: 'bob' } };
    assert.equal((await call('POST', '/api/collectors', c)).statusCode, 200);
    const list = await call('GET', '/api/collectors');
    assert.doesNotMatch(list.body, /secret-pw/);
    assert.equal(list.json<Array<{ hasPassword: boolean }>>()[0]!.hasPassword, true);
    const { password: _p, ...withoutPassword } = c;
    assert.equal((await call('PUT', '/api/collectors/isp', { ...withoutPassword, intervalSeconds: 5 })).statusCode, 400, 'intervalSeconds has a minimum');
    assert.equal((await call('PUT', '/api/collectors/isp', { ...withoutPassword, intervalSeconds: 600 })).statusCode, 200);
    assert.equal((await h.ctx.store.config.snapshot()).collectors[0]!.password, 'secret-pw', 'kept without retyping');
    const patch = await call('PATCH', '/api/settings', { duplicates: { globalDays: 3 } });
    assert.deepEqual(patch.json<{ changes: string[] }>().changes, ['setting duplicates.globalDays: 7 → 3']);
    assert.equal((await h.ctx.store.config.settings()).duplicates.contentMatch, 'hold', 'objects merge');
    assert.equal((await call('PATCH', '/api/settings', { users: [] })).statusCode, 400);
  });

  it('logs out: the token stops working', async () => {
    assert.equal((await call('POST', '/api/logout')).statusCode, 200);
    assert.equal((await call('GET', '/api/users')).statusCode, 401);
  });
});
