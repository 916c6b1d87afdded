/**
 * Settings: the relay section with "Test connection" (against the fake smarthost of the outbound
 * tests: a login accepted, a login refused, STARTTLS missing, nobody listening), its API, and the
 * TLS certificate/key paths, refused by the configuration code with the key named.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RelayStep } from '../../src/diagnose/doctor-probes.js';
import { fakeSmarthost, type FakeSmarthost } from '../fixtures/fake-smarthost.js';
import { freePort } from '../helpers/cli.js';
import { adminHarness, apiCaller, Browser, text, type AdminHarness, type ApiCall } from './helpers.js';

const base = { hostname: 'mail.example.test', domains: 'example.test', unknownRecipient: 'postmaster', address: '127.0.0.1', smtp: '2525', submission: '2587', pop3: '2110', pop3s: '0', imap: '2143', imaps: '0', admin: '8080', globalDays: '7', contentMatch: 'hold', heldDays: '30', tlsCert: '', tlsKey: '' };

describe('admin Settings: relay with Test connection, listeners and TLS', () => {
  let h: AdminHarness;
  let smarthost: FakeSmarthost;
  let b: Browser;
  let api: ApiCall;
  const relay = (over: Record<string, string> = {}) => ({ ...base, relayHost: '127.0.0.1', relayPort: String(smarthost.port), relaySecurity: 'none', relayUser: 'relayuser', relayPassword: '', ...over });
  const save = async (form: Record<string, string>) => {
    await b.get('/settings');
    return b.post('/settings', form);
  };
  const test = async () => {
    await b.get('/settings');
    return b.post('/settings/relay-test', relay());
  };
  const apiTest = async () => (await api('POST', '/api/settings/relay-test')).json<{ ok: boolean; message: string; fix: string; steps: RelayStep[] }>();

  before(async () => {
    smarthost = await fakeSmarthost();
    h = await adminHarness();
    b = new Browser(h.app);
    await b.login();
    api = await apiCaller(h.app);
  });
  after(async () => {
    await h.cleanup();
    await smarthost.close();
  });

  it('saves the relay from its section; a blank password keeps the saved one', async () => {
    const page = await b.get('/settings');
    assert.match(page.body, /<legend>Relay \(smarthost for outgoing mail\)<\/legend>/);
    assert.match(page.body, /formaction="\/settings\/relay-test"/);
    const r = await save(relay({ relayPassword: 'relaypw' }));
    assert.equal(r.statusCode, 303, r.body);
    assert.deepEqual((await h.ctx.store.config.settings()).relay, { host: '127.0.0.1', port: smarthost.port, security: 'none', user: 'relayuser', password: 'relaypw' });
    assert.equal((await save(relay())).statusCode, 303);
    assert.equal((await h.ctx.store.config.settings()).relay?.password, 'relaypw');
    assert.match((await b.get('/settings')).body, /placeholder="\(unchanged\)"/);
  });

  it('Test connection: each step OK against the smarthost, and the same through the API', async () => {
    const r = await test();
    assert.equal(r.statusCode, 200);
    const t = text(r.body);
    assert.match(t, new RegExp(`relay 127\\.0\\.0\\.1:${smarthost.port} \\(none\\) answers and accepts the login of relayuser`));
    assert.match(t, /connect : ok — connected to 127\.0\.0\.1/);
    assert.match(t, /EHLO : ok/);
    assert.match(t, /AUTH : ok — logged in as relayuser/);
    assert.match(t, /QUIT : ok — said goodbye; no mail was sent/);
    assert.match(r.body, /id="relayHost" name="relayHost" value="127.0.0.1"/, 'what was typed stays');
    const api = await apiTest();
    assert.equal(api.ok, true);
    assert.deepEqual(api.steps.map((s) => `${s.step}:${s.result}`), ['connect:ok', 'EHLO:ok', 'AUTH:ok', 'QUIT:ok']);
    assert.equal(smarthost.messages.length, 0, 'no mail sent');
  });

  it('a refused login: AUTH failed, and the message names relay.user and relay.password', async () => {
    await save(relay({ relayPassword: 'wrong' }));
    const t = text((await test()).body);
    assert.match(t, /refused our credentials for relayuser/);
    assert.match(t, /To fix: check relay\.user and relay\.password/);
    assert.match(t, /AUTH : failed — Invalid login: 535 Invalid credentials/);
    assert.match(t, /QUIT : skipped/);
    const api = await apiTest();
    assert.equal(api.ok, false);
    assert.deepEqual(api.steps.map((s) => `${s.step}:${s.result}`), ['connect:ok', 'EHLO:ok', 'AUTH:failed', 'QUIT:skipped']);
  });

  it('STARTTLS configured where the smarthost offers none: the STARTTLS step fails, naming relay.security', async () => {
    await save(relay({ relaySecurity: 'starttls', relayPassword: 'relaypw' }));
    const api = await apiTest();
    assert.equal(api.ok, false);
    assert.deepEqual(api.steps.map((s) => `${s.step}:${s.result}`), ['connect:ok', 'EHLO:ok', 'STARTTLS:failed', 'AUTH:skipped', 'QUIT:skipped']);
    assert.match(api.message, /answers, but STARTTLS failed: .*command not recognized/);
    assert.match(api.fix, /relay\.security/);
  });

  it('nobody listening: the connect step fails, naming host and port', async () => {
    await save(relay({ relayPort: String(await freePort()), relayPassword: 'relaypw' }));
    const api = await apiTest();
    assert.equal(api.steps[0]!.step, 'connect');
    assert.equal(api.steps[0]!.result, 'failed');
    assert.match(api.message, /cannot reach the relay .*ECONNREFUSED/);
    assert.match(api.fix, /check relay\.host, relay\.port/);
  });

  it('a blank relay host removes the relay; Test connection then says none is configured', async () => {
    await save(base);
    assert.equal((await h.ctx.store.config.settings()).relay, undefined);
    assert.match(text((await test()).body), /no relay configured/);
  });

  it('listeners and TLS paths: shown, saved, refused by key; the page says when they apply', async () => {
    const page = text((await b.get('/settings')).body);
    assert.match(page, /a listener whose address or port changed is closed and opened again at the new place/);
    assert.match(page, /read when the server starts: restart it after changing them/);
    const half = await save({ ...base, tlsCert: 'tls/office.pem', relayPort: 'x', relayHost: 'smtp.isp.example' });
    assert.equal(half.statusCode, 400);
    const t = text(half.body);
    assert.match(t, /tls\.key: /);
    assert.match(t, /relay\.port: /);
    assert.equal((await h.ctx.store.config.settings()).tls, undefined);
    assert.equal((await save({ ...base, tlsCert: 'tls/office.pem', tlsKey: 'tls/office.key', imaps: '2993' })).statusCode, 303);
    const s = await h.ctx.store.config.settings();
    assert.deepEqual(s.tls, { cert: 'tls/office.pem', key: 'tls/office.key' });
    assert.equal(s.listen.imaps, 2993);
    assert.match((await b.get('/settings')).body, /id="tlsKey" name="tlsKey" value="tls\/office.key"/);
    await save(base);
    assert.equal((await h.ctx.store.config.settings()).tls, undefined, 'both blank: the generated certificate again');
  });
});
