/**
 * The POP3 service: `listen.pop3` (plain, STLS offered) and `listen.pop3s` (implicit TLS) on
 * `listen.address`; 0 turns a port off. `reconfigure` rebinds a listener whose address changed and
 * leaves the others (and their sessions) alone.
 */
import type { AddressInfo } from 'node:net';
import tls, { type SecureContext } from 'node:tls';
import type { Settings } from '../../config/schema.js';
import type { DataContext } from '../../server/data-dir.js';
import type { Service } from '../../server/service.js';
import type { TlsMaterial } from '../../server/tls.js';
import { MaildropLocks } from './locks.js';
import { TailCache } from './maildrop.js';
import { Pop3Listener } from './server.js';
import type { Pop3Deps } from './state.js';
import { defaultThrottle, LoginThrottle, type ThrottleOptions } from './throttle.js';

export interface Pop3ServiceOptions {
  throttle?: ThrottleOptions;
  idleTimeoutMs?: number;
}

/** The POP3 service, plus the addresses it is bound to (tests connect there). */
export interface Pop3Service extends Service {
  addresses(): { pop3: AddressInfo | null; pop3s: AddressInfo | null };
}

type Kind = 'pop3' | 'pop3s';

/** What every POP3 session of one service shares: locks, throttle, caches. */
export function createPop3Deps(ctx: DataContext, tlsContext: SecureContext | null, options: Pop3ServiceOptions, settings: () => Settings): Pop3Deps {
  return {
    users: ctx.store.users,
    maildrops: ctx.store.maildrops,
    blobs: ctx.blobs,
    locks: new MaildropLocks(),
    throttle: new LoginThrottle(options.throttle ?? defaultThrottle),
    tails: new TailCache(ctx.blobs),
    tlsContext,
    idleTimeoutMs: options.idleTimeoutMs ?? 10 * 60_000,
    settings,
    log: ctx.log.child({ service: 'pop3' }),
  };
}

export function pop3Service(ctx: DataContext, material: TlsMaterial, options: Pop3ServiceOptions = {}): Pop3Service {
  const secureContext = tls.createSecureContext({ cert: material.cert, key: material.key });
  let settings: Settings | null = null;
  const deps = createPop3Deps(ctx, secureContext, options, () => {
    if (!settings) throw new Error('POP3 service used before start');
    return settings;
  });
  const listeners: Record<Kind, { listener: Pop3Listener; bound: string } | null> = { pop3: null, pop3s: null };
  const key = (s: Settings, kind: Kind) => `${s.listen.address}:${s.listen[kind]}`;

  const bind = async (s: Settings, kind: Kind) => {
    const port = s.listen[kind];
    if (port === 0) return;
    const listener = new Pop3Listener(deps, kind === 'pop3s' ? material : null);
    const addr = await listener.listen(s.listen.address, port);
    listeners[kind] = { listener, bound: key(s, kind) };
    deps.log.info({ address: `${addr.address}:${addr.port}`, kind }, `${kind} listening on ${addr.address}:${addr.port}`);
  };
  const unbind = async (kind: Kind) => {
    const l = listeners[kind];
    listeners[kind] = null;
    await l?.listener.close();
  };
  const describeOne = (kind: Kind) => {
    const a = listeners[kind]?.listener.address();
    return a ? `${kind} ${a.address}:${a.port}` : null;
  };

  return {
    name: 'pop3',
    async start(s) {
      settings = s;
      await bind(s, 'pop3');
      await bind(s, 'pop3s');
    },
    async reconfigure(s) {
      settings = s;
      for (const kind of ['pop3', 'pop3s'] as const) {
        const current = listeners[kind]?.bound ?? null;
        const wanted = s.listen[kind] === 0 ? null : key(s, kind);
        if (current === wanted) continue;
        await unbind(kind);
        await bind(s, kind);
      }
    },
    async stop() {
      await unbind('pop3');
      await unbind('pop3s');
    },
    describe() {
      const parts = [describeOne('pop3'), describeOne('pop3s')].filter((p) => p !== null);
      return parts.length ? `listening on ${parts.join(', ')}` : 'off';
    },
    addresses: () => ({ pop3: listeners.pop3?.listener.address() ?? null, pop3s: listeners.pop3s?.listener.address() ?? null }),
  };
}
