/**
 * Runs each enabled collector at its interval inside `postroom start`: one session per collector
 * at a time, at most `maxConcurrent` at once, with exponential backoff after failed sessions.
 * Collectors added, changed or removed by `config apply` are picked up on the next tick.
 */
import type { Logger } from 'pino';
import type { CollectorConfig } from '../config/schema.js';
import type { DataContext } from '../server/data-dir.js';
import type { Service } from '../server/service.js';
import { runCollector } from './run-collector.js';
import type { SessionReport } from './session-report.js';

interface State {
  nextRunAt: number;
  failures: number;
  running: boolean;
  last?: SessionReport;
}

const TICK_MS = 1000;
const MAX_BACKOFF_MS = 3600_000;

export interface CollectorScheduler extends Service {
  /** The last report of each collector, for status pages. */
  lastReports(): SessionReport[];
  /**
   * Runs one session of a collector now (the admin's "Run now"; enabled or not), whatever its
   * schedule; `busy` when a session on that mailbox is already running. A real run becomes the
   * collector's last report and restarts its interval; a dry run changes nothing.
   */
  runNow(c: CollectorConfig, opts: { dryRun: boolean }): Promise<SessionReport & { busy: boolean }>;
}

export function collectorScheduler(ctx: DataContext, opts: { maxConcurrent?: number } = {}): CollectorScheduler {
  const maxConcurrent = opts.maxConcurrent ?? 2;
  const log: Logger = ctx.log.child({ service: 'collect' });
  const states = new Map<string, State>();
  const controller = new AbortController();
  const running = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | null = null;

  const tick = async () => {
    const all = (await ctx.store.config.snapshot()).collectors;
    const collectors = all.filter((c) => c.enabled);
    const now = Date.now();
    // A disabled collector keeps its last report (an admin's "Run now" of it); a removed one goes.
    for (const name of states.keys()) if (!all.some((c) => c.name === name)) states.delete(name);
    for (const c of collectors) {
      const st = states.get(c.name) ?? { nextRunAt: now, failures: 0, running: false };
      states.set(c.name, st);
      if (st.running || st.nextRunAt > now || running.size >= maxConcurrent) continue;
      st.running = true;
      const p = run(c, st).finally(() => {
        st.running = false;
        running.delete(p);
      });
      running.add(p);
    }
  };

  const run = async (c: CollectorConfig, st: State) => {
    const report = await runCollector({ store: ctx.store, pipeline: ctx.pipeline, dataDir: ctx.dataDir, log }, c, { dryRun: false, signal: controller.signal });
    st.last = report;
    if (report.errors.length > 0 && !controller.signal.aborted) {
      st.failures++;
      const backoff = Math.min(c.intervalSeconds * 1000 * 2 ** Math.min(st.failures, 10), MAX_BACKOFF_MS);
      st.nextRunAt = Date.now() + Math.max(backoff, c.intervalSeconds * 1000);
      log.warn({ collector: c.name, retryInSeconds: Math.round((st.nextRunAt - Date.now()) / 1000) }, `collector ${c.name} failed; next try later`);
    } else {
      st.failures = 0;
      st.nextRunAt = Date.now() + c.intervalSeconds * 1000;
    }
  };

  return {
    name: 'collect',
    async start() {
      timer = setInterval(() => void tick().catch((err: unknown) => log.error({ err }, 'collector scheduling failed')), TICK_MS);
      void tick().catch((err: unknown) => log.error({ err }, 'collector scheduling failed'));
    },
    async reconfigure() {},
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      // Cutting the sessions is safe: nothing is deleted without QUIT, nothing is lost after spooling.
      controller.abort();
      await Promise.allSettled([...running]);
    },
    describe: () => {
      const n = [...states.values()].filter((s) => s.running).length;
      return timer ? `${states.size} collector${states.size === 1 ? '' : 's'}, ${n} running` : 'stopped';
    },
    lastReports: () => [...states.values()].flatMap((s) => (s.last ? [s.last] : [])),
    async runNow(c, { dryRun }) {
      const report = await runCollector({ store: ctx.store, pipeline: ctx.pipeline, dataDir: ctx.dataDir, log }, c, { dryRun, signal: controller.signal });
      if (!dryRun && !report.busy) {
        const st = states.get(c.name) ?? { nextRunAt: 0, failures: 0, running: false };
        states.set(c.name, st);
        st.last = report;
        st.nextRunAt = Date.now() + c.intervalSeconds * 1000;
      }
      return report;
    },
  };
}
