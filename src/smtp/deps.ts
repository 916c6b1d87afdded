import type { Logger } from 'pino';
import type { LoginThrottle } from '../auth/login-throttle.js';
import type { Settings } from '../config/schema.js';
import type { DataContext } from '../server/data-dir.js';
import type { TlsMaterial } from '../server/tls.js';

/**
 * What every SMTP session of one service shares. `settings()` is the snapshot the server last
 * loaded (it changes on reload); `background` tracks deliveries started after a 250 so that
 * stopping the service can wait for them.
 */
export interface SmtpDeps {
  ctx: DataContext;
  tls: TlsMaterial;
  throttle: LoginThrottle;
  settings(): Settings;
  log: Logger;
  background: Set<Promise<unknown>>;
}
