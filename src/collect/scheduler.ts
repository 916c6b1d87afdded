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
import { SessionLog, type SessionLogLines } from './session-log.js';
import { formatReport, type SessionReport } from './session-report.js';

type RunResult = SessionReport & { busy: boolean };

/** A session in progress: its report fills in as it goes, `done`/`total` are the downloads. */
interface Live {
  promise: Promise<RunResult>;
  log: SessionLog;
  report?: SessionReport;
  done?: number;
  total?: number;
}

interface State {
  nextRunAt: number;
  failures: number;
  /** The session running now (scheduled or "Run now"), at most one per collector. */
  current?: Live;
  last?: SessionReport;
  lastLog?: SessionLogLines;
}

/** The session report's counts, as the progress shows them. */
const COUNTS = ['seen', 'downloaded', 'delivered', 'held', 'suppressed', 'deleted', 'kept'] as const;

/**
 * Where a collector's session is: connecting (and listing), downloading (`fetched` of `toFetch`),
 * finishing (delivering the last batch, deleting, QUIT), finished (the last session), or idle
 * (none since the server started). The counts are the running session's, or the last one's.
 */
export interface CollectorProgress extends Pick<SessionReport, (typeof COUNTS)[number] | 'errors'> {
  collector: string;
  state: 'idle' | 'connecting' | 'downloading' | 'finishing' | 'finished';
  running: boolean;
  sessionId: string | null;
  startedAt: string | null;
  /** Messages received from the server so far (`downloaded` and the rest move when a batch is stored and delivered). */
  fetched: number;
  /** New messages this session downloads (known once listed). */
  toFetch: number | null;
  /** The last session's summary line (as logged and as `postroom collect` prints it), once finished. */
  summary: string | null;
}

const TICK_MS = 1000;
const MAX_BACKOFF_MS = 3600_000;

export interface CollectorScheduler extends Service {
  /** The last report of each collector, for status pages. */
  lastReports(): SessionReport[];
  /**
   * Runs one session of a collector now (the admin's "Run now"; enabled or not), whatever its
   * schedule, and resolves with its report. A real run already going (scheduled or another click)
   * is waited for rather than started twice; `busy` when another process holds the mailbox. A real
   * run becomes the collector's last report and restarts its interval; a dry run changes nothing.
   */
  runNow(c: CollectorConfig, opts: { dryRun: boolean }): Promise<RunResult>;
  /** Starts a real session without waiting for it (false: one was already running, nothing started). */
  startNow(c: CollectorConfig): { started: boolean };
  /** The running session's progress, else the last session's result. */
  progress(name: string): CollectorProgress;
  /** The log lines of the collector's running session, else of its last one (null: none yet). */
  sessionLog(name: string): (SessionLogLines & { running: boolean }) | null;
}

export function collectorScheduler(ctx: DataContext, opts: { maxConcurrent?: number } = {}): CollectorScheduler {
  const maxConcurrent = opts.maxConcurrent ?? 2;
  const log: Logger = ctx.log.child({ service: 'collect' });
  const states = new Map<string, State>();
  const controller = new AbortController();
  const running = new Set<Promise<RunResult>>();
  let timer: NodeJS.Timeout | null = null;

  const stateOf = (name: string) => {
    const st = states.get(name) ?? { nextRunAt: Date.now(), failures: 0 };
    states.set(name, st);
    return st;
  };

  const tick = async () => {
    const all = (await ctx.store.config.snapshot()).collectors;
    const collectors = all.filter((c) => c.enabled);
    const now = Date.now();
    // A disabled collector keeps its last report (an admin's "Run now" of it); a removed one goes.
    for (const name of states.keys()) if (!all.some((c) => c.name === name)) states.delete(name);
    for (const c of collectors) {
      const st = stateOf(c.name);
      if (st.current || st.nextRunAt > now || running.size >= maxConcurrent) continue;
      launch(c, st);
    }
  };

  /** One real session, with its progress and log kept for the admin pages (the CLI's onProgress). */
  const launch = (c: CollectorConfig, st: State): Live => {
    const sessionLog = new SessionLog(log);
    const live = { log: sessionLog } as Live;
    const p = runCollector({ store: ctx.store, pipeline: ctx.pipeline, dataDir: ctx.dataDir, log: sessionLog.logger }, c, {
      dryRun: false,
      signal: controller.signal,
      onStart: (r) => (live.report = r),
      onProgress: (done, total) => {
        live.done = done;
        live.total = total;
      },
    }).then((report) => {
      finished(c, st, report, sessionLog);
      return report;
    });
    live.promise = p;
    st.current = live;
    running.add(p);
    // runCollector reports failures in the report; a rejection here is a bug, logged for "Run now" without a waiter.
    p.finally(() => {
      if (st.current === live) st.current = undefined;
      running.delete(p);
    }).catch((err: unknown) => log.error({ err, collector: c.name }, 'collector session failed'));
    return live;
  };

  const finished = (c: CollectorConfig, st: State, report: RunResult, sessionLog: SessionLog) => {
    if (!report.busy) {
      st.last = report;
      st.lastLog = sessionLog.snapshot();
    }
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

  const progress = (name: string): CollectorProgress => {
    const st = states.get(name);
    const live = st?.current;
    const r = live ? live.report : st?.last;
    const state: CollectorProgress['state'] = live ? (live.total === undefined ? 'connecting' : (live.done ?? 0) < live.total ? 'downloading' : 'finishing') : r ? 'finished' : 'idle';
    return {
      collector: name,
      state,
      running: live !== undefined,
      sessionId: r?.sessionId ?? null,
      startedAt: r ? new Date(r.startedAt).toISOString() : null,
      ...(Object.fromEntries(COUNTS.map((k) => [k, r?.[k] ?? 0])) as Record<(typeof COUNTS)[number], number>),
      fetched: live ? (live.done ?? 0) : (r?.downloaded ?? 0),
      toFetch: live ? (live.total ?? null) : null,
      errors: [...(r?.errors ?? [])],
      summary: !live && r ? formatReport(r) : null,
    };
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
      const n = [...states.values()].filter((s) => s.current).length;
      return timer ? `${states.size} collector${states.size === 1 ? '' : 's'}, ${n} running` : 'stopped';
    },
    lastReports: () => [...states.values()].flatMap((s) => (s.last ? [s.last] : [])),
    async runNow(c, { dryRun }) {
      if (dryRun) return runCollector({ store: ctx.store, pipeline: ctx.pipeline, dataDir: ctx.dataDir, log }, c, { dryRun, signal: controller.signal });
      const st = stateOf(c.name);
      return (st.current ?? launch(c, st)).promise;
    },
    startNow(c) {
      const st = stateOf(c.name);
      if (st.current) return { started: false };
      launch(c, st);
      return { started: true };
    },
    progress,
    sessionLog(name) {
      const st = states.get(name);
      if (st?.current) return { ...st.current.log.snapshot(), running: true };
      return st?.lastLog ? { ...st.lastLog, running: false } : null;
    },
  };
}
