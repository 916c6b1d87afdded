/**
 * The POP3 service: `listen.pop3` (plain, STLS offered) and `listen.pop3s` (implicit TLS) on
 * `listen.address`; 0 turns a port off. `reconfigure` rebinds a listener whose address changed and
 * leaves the others (and their sessions) alone.
 */
import tls, { type SecureContext } from 'node:tls';
import type { Settings } from '../../config/schema.js';
import type { DataContext } from '../../server/data-dir.js';
import type { TlsMaterial } from '../../server/tls.js';
import { MaildropLocks } from './locks.js';
import { TailCache } from './maildrop.js';
import { Pop3Listener } from './server.js';
import { listenerService, type ListenerService } from '../shared/listener-service.js';
import type { Pop3Deps } from './state.js';
import { throttleFrom, type LoginThrottle, type ThrottleOptions } from '../../auth/login-throttle.js';

export interface Pop3ServiceOptions {
  /** Throttle settings, or the throttle to share with the other doors (the server passes one). */
  throttle?: ThrottleOptions | LoginThrottle;
  idleTimeoutMs?: number;
}

/** The POP3 service, plus the addresses it is bound to (tests connect there). */
export type Pop3Service = ListenerService<'pop3', 'pop3s'>;

/** What every POP3 session of one service shares: locks, throttle, caches. */
export function createPop3Deps(ctx: DataContext, tlsContext: SecureContext | null, options: Pop3ServiceOptions, settings: () => Settings): Pop3Deps {
  return {
    users: ctx.store.users,
    maildrops: ctx.store.maildrops,
    blobs: ctx.blobs,
    locks: new MaildropLocks(),
    throttle: throttleFrom(options.throttle),
    tails: new TailCache(ctx.blobs),
    tlsContext,
    idleTimeoutMs: options.idleTimeoutMs ?? 10 * 60_000,
    settings,
    log: ctx.log.child({ service: 'pop3' }),
    trace: ctx.store.trace,
  };
}

export function pop3Service(ctx: DataContext, material: TlsMaterial, options: Pop3ServiceOptions = {}): Pop3Service {
  const secureContext = tls.createSecureContext({ cert: material.cert, key: material.key });
  let settings: Settings | null = null;
  const deps = createPop3Deps(ctx, secureContext, options, () => {
    if (!settings) throw new Error('POP3 service used before start');
    return settings;
  });
  return listenerService({
    name: 'pop3',
    plain: 'pop3',
    secure: 'pop3s',
    material,
    log: deps.log,
    makeListener: (tlsMaterial) => new Pop3Listener(deps, tlsMaterial),
    onSettings: (s) => (settings = s),
  });
}
