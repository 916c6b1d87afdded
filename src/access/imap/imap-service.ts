/**
 * The IMAP service: `listen.imap` (plain, STARTTLS offered) and `listen.imaps` (implicit TLS) on
 * `listen.address`; 0 turns a port off. `reconfigure` rebinds a listener whose address changed and
 * leaves the others (and their sessions) alone.
 */
import tls, { type SecureContext } from 'node:tls';
import type { Settings } from '../../config/schema.js';
import type { DataContext } from '../../server/data-dir.js';
import type { TlsMaterial } from '../../server/tls.js';
import { throttleFrom, type LoginThrottle, type ThrottleOptions } from '../../auth/login-throttle.js';
import { MailboxEvents } from './events.js';
import { StructureCache } from './message/structure-cache.js';
import { ImapListener } from './server.js';
import { listenerService, type ListenerService } from '../shared/listener-service.js';
import { defaultLimits, type ImapDeps, type ImapLimits } from './state.js';

export interface ImapServiceOptions {
  /** Throttle settings, or the throttle to share with the other doors (the server passes one). */
  throttle?: ThrottleOptions | LoginThrottle;
  limits?: Partial<ImapLimits>;
  idleTimeoutMs?: number;
  idlePollMs?: number;
}

/** The IMAP service, plus the addresses it is bound to (tests connect there). */
export type ImapService = ListenerService<'imap', 'imaps'>;

/** What every IMAP session of one service shares: throttle, change notices, structure cache. */
export function createImapDeps(ctx: DataContext, tlsContext: SecureContext | null, options: ImapServiceOptions, settings: () => Settings): ImapDeps {
  return {
    users: ctx.store.users,
    store: ctx.store.imap,
    blobs: ctx.blobs,
    structures: new StructureCache(ctx.store.imap, (blob) => (start, end) => ctx.blobs.read(blob, { start, end: end - 1 })),
    events: new MailboxEvents(),
    throttle: throttleFrom(options.throttle),
    tlsContext,
    limits: { ...defaultLimits, ...options.limits },
    idleTimeoutMs: options.idleTimeoutMs ?? 30 * 60_000,
    idlePollMs: options.idlePollMs ?? 500,
    settings,
    log: ctx.log.child({ service: 'imap' }),
    trace: ctx.store.trace,
  };
}

export function imapService(ctx: DataContext, material: TlsMaterial, options: ImapServiceOptions = {}): ImapService {
  const secureContext = tls.createSecureContext({ cert: material.cert, key: material.key });
  let settings: Settings | null = null;
  const deps = createImapDeps(ctx, secureContext, options, () => {
    if (!settings) throw new Error('IMAP service used before start');
    return settings;
  });
  // ENVELOPE and BODYSTRUCTURE are worked out as mail is delivered, one message at a time in the
  // background, so a client's first FETCH finds them stored instead of parsing each message then.
  let warming: Promise<unknown> = Promise.resolve();
  let stopWarming: (() => void) | null = null;
  let stopped = false;
  const structureOf = (d: { blob: string; size: number }) =>
    deps.structures.get(d.blob, d.size).catch((err: unknown) => deps.log.warn({ err, blob: d.blob }, 'could not work out a message structure; it will be tried at FETCH'));
  const warm = (d: { blob: string; size: number }) => {
    warming = warming.then(() => structureOf(d));
  };
  // Mail delivered while no IMAP service ran (another process: `postroom collect`, `deliver`) is
  // caught up at start, in the background, a batch at a time.
  const backfill = async () => {
    const tried = new Set<string>();
    while (!stopped) {
      const batch = (await ctx.store.imap.blobsWithoutStructure(200)).filter((d) => !tried.has(d.blob));
      if (batch.length === 0) return;
      for (const d of batch) {
        if (stopped) return;
        tried.add(d.blob);
        await structureOf(d);
      }
      await deps.structures.flush();
    }
  };
  return listenerService({
    name: 'imap',
    plain: 'imap',
    secure: 'imaps',
    material,
    log: deps.log,
    makeListener: (tlsMaterial) => new ImapListener(deps, tlsMaterial),
    onSettings: (s) => (settings = s),
    onStart: () => {
      stopped = false;
      stopWarming = ctx.pipeline.onDelivered(warm);
      warming = warming.then(backfill).catch((err: unknown) => deps.log.warn({ err }, 'catching up message structures failed; they will be worked out at FETCH'));
    },
    onStop: async () => {
      stopped = true;
      stopWarming?.();
      stopWarming = null;
      await warming;
      await deps.structures.flush();
    },
  });
}
