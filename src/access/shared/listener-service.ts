/**
 * The Service of a protocol with a plain port and an implicit-TLS port (`listen.pop3`/`pop3s`,
 * `listen.imap`/`imaps`) on `listen.address`; 0 turns a port off. `reconfigure` rebinds a listener
 * whose address or port changed and leaves the other (and its sessions) alone.
 */
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Settings } from '../../config/schema.js';
import type { Service } from '../../server/service.js';
import type { TlsMaterial } from '../../server/tls.js';
import type { ProtocolListener } from './listener.js';

type ListenKey = keyof Omit<Settings['listen'], 'address'>;

export interface ListenerServiceOptions<P extends ListenKey, S extends ListenKey> {
  name: string;
  plain: P;
  secure: S;
  material: TlsMaterial;
  log: Logger;
  /** A listener: `tls` is the certificate for implicit TLS, null for the plain port. */
  makeListener: (tls: TlsMaterial | null) => ProtocolListener;
  /** Called with the settings at start and at every reconfigure, before any rebinding. */
  onSettings: (s: Settings) => void;
  onStart?: () => void;
  /** Runs after both listeners are closed (flushing caches and the like). */
  onStop?: () => Promise<void>;
}

export type ListenerService<P extends ListenKey, S extends ListenKey> = Service & {
  /** Where each port is bound (tests connect there), or null when off. */
  addresses(): Record<P | S, AddressInfo | null>;
};

export function listenerService<P extends ListenKey, S extends ListenKey>(o: ListenerServiceOptions<P, S>): ListenerService<P, S> {
  const kinds = [o.plain, o.secure] as const;
  const listeners = new Map<P | S, { listener: ProtocolListener; bound: string }>();
  const key = (s: Settings, kind: P | S) => `${s.listen.address}:${s.listen[kind]}`;

  const bind = async (s: Settings, kind: P | S) => {
    const port = s.listen[kind];
    if (port === 0) return;
    const listener = o.makeListener(kind === o.secure ? o.material : null);
    const addr = await listener.listen(s.listen.address, port);
    listeners.set(kind, { listener, bound: key(s, kind) });
    o.log.info({ address: `${addr.address}:${addr.port}`, kind }, `${kind} listening on ${addr.address}:${addr.port}`);
  };
  const unbind = async (kind: P | S) => {
    const l = listeners.get(kind);
    listeners.delete(kind);
    await l?.listener.close();
  };
  const addressOf = (kind: P | S) => listeners.get(kind)?.listener.address() ?? null;

  return {
    name: o.name,
    async start(s) {
      o.onSettings(s);
      o.onStart?.();
      for (const kind of kinds) await bind(s, kind);
    },
    async reconfigure(s) {
      o.onSettings(s);
      for (const kind of kinds) {
        const current = listeners.get(kind)?.bound ?? null;
        const wanted = s.listen[kind] === 0 ? null : key(s, kind);
        if (current === wanted) continue;
        await unbind(kind);
        await bind(s, kind);
      }
    },
    async stop() {
      for (const kind of kinds) await unbind(kind);
      await o.onStop?.();
    },
    describe() {
      const parts = kinds.flatMap((kind) => {
        const a = addressOf(kind);
        return a ? [`${kind} ${a.address}:${a.port}`] : [];
      });
      return parts.length ? `listening on ${parts.join(', ')}` : 'off';
    },
    addresses: () => ({ [o.plain]: addressOf(o.plain), [o.secure]: addressOf(o.secure) }) as Record<P | S, AddressInfo | null>,
  };
}
