/** Login, sessions, CSRF, throttling, logout and password change of the admin pages (inject). */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashToken, SESSION_COOKIE } from '../../src/admin/sessions.js';
import { adminHarness, Browser, text, type AdminHarness } from './helpers.js';

describe('admin login and sessions', () => {
  let h: AdminHarness;
  before(async () => (h = await adminHarness()));
  after(async () => h.cleanup());

  it('redirects a logged-out request to the login page and back after login', async () => {
    const b = new Browser(h.app);
    for (const url of ['/', '/users', '/collectors/new', '/settings']) {
      const r = await b.get(url);
      assert.equal(r.statusCode, 303, url);
      assert.equal(r.headers.location, `/login?next=${encodeURIComponent(url)}`);
    }
    // A logged-out form post is redirected too, and changes nothing.
    const post = await b.post('/users', { name: 'mallory', password: 'x' }, false);
    assert.equal(post.statusCode, 303);
    assert.equal(post.headers.location, '/login');
    assert.equal(await h.ctx.store.users.get('mallory'), undefined);

    await b.get('/login?next=%2Fsettings');
    const r = await b.post('/login', { login: 'postmaster', password: 'pm', next: '/settings' });
    assert.equal(r.statusCode, 303);
    assert.equal(r.headers.location, '/settings');
    assert.equal((await b.get('/settings')).statusCode, 200);
  });

  it('sets an HttpOnly SameSite=Strict session cookie and stores only its hash', async () => {
    const b = new Browser(h.app);
    const r = await b.login();
    const set = [r.headers['set-cookie']].flat().find((c) => c?.startsWith(`${SESSION_COOKIE}=`));
    assert.ok(set, 'session cookie set');
    assert.match(set, /HttpOnly/);
    assert.match(set, /SameSite=Strict/);
    const token = b.cookies.get(SESSION_COOKIE)!;
    assert.ok((await h.ctx.store.adminSessions.find(hashToken(token), Date.now()))?.user === 'postmaster');
    const row = h.ctx.store.db.prepare('SELECT COUNT(*) AS n FROM admin_sessions WHERE token_hash = ?').get(token) as { n: number };
    assert.equal(row.n, 0, 'the token itself is not stored');
  });

  it('refuses wrong passwords and non-admins with the same answer', async () => {
    const b = new Browser(h.app);
    await b.get('/login');
    const wrong = await b.post('/login', { login: 'postmaster', password: 'nope' });
    assert.equal(wrong.statusCode, 401);
    assert.match(text(wrong.body), /Wrong name or password/);
    const nonAdmin = await b.post('/login', { login: 'bob', password: 'bobpw' });
    assert.equal(nonAdmin.statusCode, 401);
    assert.match(text(nonAdmin.body), /Wrong name or password/);
    assert.equal(b.cookies.has(SESSION_COOKIE), false);
  });

  it('refuses a form post without a valid CSRF token, and changes nothing', async () => {
    const b = new Browser(h.app);
    await b.login();
    await b.get('/users/new');
    const without = await b.post('/users', { name: 'eve', password: 'password1' }, false);
    assert.equal(without.statusCode, 403);
    assert.match(text(without.body), /form has expired/);
    const forged = await b.post('/users', { name: 'eve', password: 'password1', _csrf: 'forged' }, false);
    assert.equal(forged.statusCode, 403);
    assert.equal(await h.ctx.store.users.get('eve'), undefined);
    // A token from another browser's cookie does not work either.
    const other = new Browser(h.app);
    await other.login();
    await other.get('/users/new');
    const crossed = await b.post('/users', { name: 'eve', password: 'password1', _csrf: other.csrf }, false);
    assert.equal(crossed.statusCode, 403);
    // The login form needs its token as well (no login CSRF).
    const fresh = new Browser(h.app);
    const login = await fresh.post('/login', { login: 'postmaster', password: 'pm' }, false);
    assert.equal(login.statusCode, 403);
  });

  it('logs out: the session is gone from the store and the cookie no longer works', async () => {
    const b = new Browser(h.app);
    await b.login();
    const token = b.cookies.get(SESSION_COOKIE)!;
    await b.get('/');
    const out = await b.post('/logout', {});
    assert.equal(out.statusCode, 303);
    assert.equal(out.headers.location, '/login');
    assert.equal(await h.ctx.store.adminSessions.find(hashToken(token), Date.now()), undefined);
    const replay = await h.app.inject({ method: 'GET', url: '/', headers: { cookie: `${SESSION_COOKIE}=${token}` } });
    assert.equal(replay.statusCode, 303);
  });

  it('changes the password: wrong current refused, other sessions ended, new password works', async () => {
    const a = new Browser(h.app);
    const other = new Browser(h.app);
    await a.login();
    await other.login();
    await a.get('/password');
    const bad = await a.post('/password', { current: 'wrong', new: 'new-password-1', confirm: 'new-password-1' });
    assert.equal(bad.statusCode, 400);
    assert.match(text(bad.body), /current password is not right/);
    await a.get('/password');
    const mismatch = await a.post('/password', { current: 'pm', new: 'new-password-1', confirm: 'other-password' });
    assert.equal(mismatch.statusCode, 400);
    await a.get('/password');
    const ok = await a.post('/password', { current: 'pm', new: 'new-password-1', confirm: 'new-password-1' });
    assert.equal(ok.statusCode, 303);
    assert.equal((await a.get('/')).statusCode, 200, 'this session stays');
    assert.equal((await other.get('/')).statusCode, 303, 'the other session ended');
    const again = new Browser(h.app);
    assert.equal((await again.login('postmaster', 'pm')).statusCode, 401);
    assert.equal((await again.login('postmaster', 'new-password-1')).statusCode, 303);
  });

  it('ends the session of an admin who is no longer one', async () => {
    const b = new Browser(h.app);
    await b.login('postmaster', 'new-password-1');
    h.ctx.store.db.prepare("UPDATE users SET admin = 0 WHERE name = 'postmaster'").run();
    try {
      assert.equal((await b.get('/')).statusCode, 303);
    } finally {
      h.ctx.store.db.prepare("UPDATE users SET admin = 1 WHERE name = 'postmaster'").run();
    }
  });

  it('only follows a local path after login', async () => {
    const b = new Browser(h.app);
    await b.get('/login');
    const r = await b.post('/login', { login: 'postmaster', password: 'new-password-1', next: '//evil.example/' });
    assert.equal(r.headers.location, '/');
  });
});

describe('admin login throttle', () => {
  it('refuses logins for a while after repeated failures, even with the right password', async () => {
    const h = await adminHarness();
    try {
      const b = new Browser(h.app);
      await b.get('/login');
      for (let i = 0; i < 4; i++) assert.equal((await b.post('/login', { login: 'postmaster', password: `guess${i}` })).statusCode, 401);
      const blocked = await b.post('/login', { login: 'postmaster', password: 'pm' });
      assert.equal(blocked.statusCode, 429);
      assert.match(text(blocked.body), /Too many failed logins/);
      assert.equal(b.cookies.has(SESSION_COOKIE), false);
    } finally {
      await h.cleanup();
    }
  });
});
