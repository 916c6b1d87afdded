import type { Logger } from 'pino';
import type { Service } from './service.js';

export interface PeriodicOptions {
  name: string;
  intervalMs: number;
  /** One pass of the work. */
  run: () => Promise<unknown>;
  log: Logger;
  /** Logged (with the error) when a pass fails; the next beat tries again. */
  failure: string;
  /** What the service does, for the status line: "retrying leftovers every 10 s". */
  doing: string;
}

/**
 * A Service that runs `run` at start and then every `intervalMs`. A beat that comes while a pass is
 * still going is skipped rather than piled up; `stop` waits for the pass in progress.
 */
export function periodicService(o: PeriodicOptions): Service {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;
  const tick = () => {
    if (running) return;
    running = o
      .run()
      .catch((err: unknown) => o.log.error({ err }, o.failure))
      .finally(() => (running = null));
  };
  return {
    name: o.name,
    async start() {
      tick();
      timer = setInterval(tick, o.intervalMs);
    },
    async reconfigure() {},
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
    describe: () => (timer ? o.doing : 'stopped'),
  };
}
