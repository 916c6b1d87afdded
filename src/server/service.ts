import type { Settings } from '../config/schema.js';
import type { DataContext } from './data-dir.js';
import type { TlsMaterial } from './tls.js';

/**
 * A long-running part of the server (a listener, a scheduler). The server starts each one with the
 * current settings and, when the configuration changes, calls `reconfigure`; a service whose
 * listening port changed restarts itself there.
 */
export interface Service {
  readonly name: string;
  start(settings: Settings): Promise<void>;
  reconfigure(settings: Settings): Promise<void>;
  stop(): Promise<void>;
  /** What it is doing, for the status page and the log: "listening on 127.0.0.1:2110". */
  describe(): string;
}

export type ServiceFactory = (ctx: DataContext, tls: TlsMaterial) => Service;
