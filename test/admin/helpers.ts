/**
 * Shared setup for the admin tests: a data directory with a small office (postmaster is the admin,
 * password "pm"), the admin app built over it with the real collector scheduler (not started: only
 * runNow and lastReports are used), and a browser-like client for inject() that keeps cookies and
 * reads CSRF tokens out of forms.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { after, before } from 'node:test';
import { buildAdminApp } from '../../src/admin/app.js';
import type { AdminRuntime } from '../../src/admin/runtime.js';
import { LoginThrottle } from '../../src/auth/login-throttle.js';
import { collectorScheduler } from '../../src/collect/scheduler.js';
import { officeYaml, testContext, type TestContext } from '../helpers/context.js';

export interface AdminHarness {
  ctx: TestContext;
  app: FastifyInstance;
  runtime: AdminRuntime;
  cleanup(): Promise<void>;
}

export async function adminHarness(yaml = officeYaml, throttle = new LoginThrottle({ baseDelayMs: 1, maxDelayMs: 5, windowMs: 60_000, maxFailuresPerAddress: 5, maxFailuresPerUser: 4 })): Promise<AdminHarness> {
  const ctx = await testContext(yaml);
  const scheduler = collectorScheduler(ctx);
  // What the running server loaded: the settings at start (tests that reload replace this).
  const running = await ctx.store.config.settings();
  const runtime: AdminRuntime = {
    configGeneration: () => 1,
    settings: () => running,
    services: () => [{ name: 'pop3', state: 'listening on 127.0.0.1:2110' }],
    collectors: scheduler,
    dataDir: ctx.dataDir,
  };
  const app = await buildAdminApp({ store: ctx.store, blobs: ctx.blobs, log: ctx.log, runtime, throttle });
  return {
    ctx,
    app,
    runtime,
    async cleanup() {
      await app.close();
      await scheduler.stop();
      await ctx.cleanup();
    },
  };
}

/** A browser over inject(): a cookie jar, and the CSRF token of the last page that had a form. */
export class Browser {
  readonly cookies = new Map<string, string>();
  csrf = '';

  constructor(private readonly app: FastifyInstance) {}

  async get(url: string): Promise<LightMyRequestResponse> {
    const res = await this.app.inject({ method: 'GET', url, headers: this.cookieHeader() });
    this.keep(res);
    const m = /name="_csrf" value="([^"]+)"/.exec(res.body);
    if (m) this.csrf = m[1]!;
    return res;
  }

  /** Posts a form; the CSRF token of the last page is added unless `withCsrf` is false. */
  async post(url: string, form: Record<string, string | string[]>, withCsrf = true): Promise<LightMyRequestResponse> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const x of [v].flat()) params.append(k, x);
    if (withCsrf) params.append('_csrf', this.csrf);
    const res = await this.app.inject({
      method: 'POST',
      url,
      payload: params.toString(),
      headers: { ...this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
    });
    this.keep(res);
    return res;
  }

  /** Logs in through the login page. */
  async login(login = 'postmaster', password = 'pm'): Promise<LightMyRequestResponse> {
    await this.get('/login');
    return this.post('/login', { login, password, next: '/' });
  }

  /** The flash message the redirected-to page shows (follows one redirect). */
  async follow(res: LightMyRequestResponse): Promise<LightMyRequestResponse> {
    if (res.statusCode !== 303) throw new Error(`expected a redirect, got ${res.statusCode}: ${res.body.slice(0, 400)}`);
    return this.get(String(res.headers.location));
  }

  private cookieHeader(): Record<string, string> {
    return this.cookies.size ? { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {};
  }

  private keep(res: LightMyRequestResponse): void {
    for (const c of res.cookies as Array<{ name: string; value: string; maxAge?: number; expires?: Date }>) {
      const gone = c.value === '' || (c.expires !== undefined && c.expires.getTime() < Date.now()) || c.maxAge === 0;
      if (gone) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
  }
}

/** Visible text of an HTML page, tags removed and whitespace collapsed, for assertions. */
export const text = (html: string): string =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');

/**
 * Registers before/after hooks of the enclosing describe: a harness, a Browser logged in as
 * postmaster and an API caller with postmaster's token. Read `s.h`, `s.b` and `s.call` inside the
 * tests (they are set once `before` has run).
 */
export function loggedInAdmin(): { h: AdminHarness; b: Browser; call: ApiCall } {
  const s = {} as { h: AdminHarness; b: Browser; call: ApiCall };
  before(async () => {
    s.h = await adminHarness();
    s.b = new Browser(s.h.app);
    await s.b.login();
    s.call = await apiCaller(s.h.app);
  });
  after(async () => s.h.cleanup());
  return s;
}

export type ApiCall = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object, headers?: Record<string, string>) => Promise<LightMyRequestResponse>;

/** Calls the JSON API over inject() with a bearer token from POST /api/login as postmaster (other `headers` replace it). */
export async function apiCaller(app: FastifyInstance): Promise<ApiCall> {
  const login = await app.inject({ method: 'POST', url: '/api/login', payload: { login: 'postmaster', password: 'pm' } });
  const auth = { authorization: `Bearer ${login.json<{ token: string }>().token}` };
  return (method, url, payload, headers = auth) => app.inject({ method, url, ...(payload ? { payload } : {}), headers });
}
