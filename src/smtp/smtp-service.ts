/**
 * The SMTP service: `listen.smtp` (MX-style receiving) and `listen.submission` (authenticated
 * sending) on `listen.address`; 0 turns a door off. `reconfigure` rebinds a door whose address,
 * port, hostname or size limit changed and leaves the other one (and its sessions) alone.
 */
import type { AddressInfo } from 'node:net';
import { throttleFrom, type LoginThrottle, type ThrottleOptions } from '../auth/login-throttle.js';
import type { Settings } from '../config/schema.js';
import type { DataContext } from '../server/data-dir.js';
import type { Service } from '../server/service.js';
import type { TlsMaterial } from '../server/tls.js';
import type { SmtpDeps } from './deps.js';
import { close, createSmtpServer, listen, listenerKey } from './listener.js';
import type { Door } from './policy.js';
import type { PostroomSmtpServer } from './replies.js';

export interface SmtpServiceOptions {
  /** Throttle settings, or the throttle to share with the other doors (the server passes one). */
  throttle?: ThrottleOptions | LoginThrottle;
}

/** The SMTP service, plus the addresses it is bound to (tests connect there). */
export interface SmtpService extends Service {
  addresses(): Record<Door, AddressInfo | null>;
  /** Resolves when every delivery started after a 250 so far has finished (tests, shutdown). */
  idle(): Promise<void>;
}

const DOORS: Door[] = ['smtp', 'submission'];

export function smtpService(ctx: DataContext, tls: TlsMaterial, options: SmtpServiceOptions = {}): SmtpService {
  let settings: Settings | null = null;
  const deps: SmtpDeps = {
    ctx,
    tls,
    throttle: throttleFrom(options.throttle),
    settings: () => {
      if (!settings) throw new Error('SMTP service used before start');
      return settings;
    },
    log: ctx.log.child({ service: 'smtp' }),
    background: new Set(),
  };
  const bound: Record<Door, { server: PostroomSmtpServer; key: string; address: AddressInfo } | null> = { smtp: null, submission: null };

  const bind = async (door: Door) => {
    const s = deps.settings();
    if (s.listen[door] === 0) return;
    const server = createSmtpServer(deps, door);
    const address = await listen(server, s.listen.address, s.listen[door]);
    bound[door] = { server, key: listenerKey(deps, door), address };
    deps.log.info({ door, address: `${address.address}:${address.port}` }, `${door} listening on ${address.address}:${address.port}`);
  };
  const unbind = async (door: Door) => {
    const b = bound[door];
    bound[door] = null;
    if (b) await close(b.server);
  };
  const idle = async () => {
    while (deps.background.size > 0) await Promise.allSettled([...deps.background]);
  };

  return {
    name: 'smtp',
    async start(s) {
      settings = s;
      for (const door of DOORS) await bind(door);
    },
    async reconfigure(s) {
      settings = s;
      for (const door of DOORS) {
        const wanted = s.listen[door] === 0 ? null : listenerKey(deps, door);
        if ((bound[door]?.key ?? null) === wanted) continue;
        await unbind(door);
        await bind(door);
      }
    },
    async stop() {
      for (const door of DOORS) await unbind(door);
      await idle();
    },
    describe() {
      const parts = DOORS.flatMap((d) => (bound[d] ? [`${d} ${bound[d].address.address}:${bound[d].address.port}`] : []));
      return parts.length ? `listening on ${parts.join(', ')}` : 'off';
    },
    addresses: () => ({ smtp: bound.smtp?.address ?? null, submission: bound.submission?.address ?? null }),
    idle,
  };
}
