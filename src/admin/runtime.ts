/**
 * What the admin pages need from the running server, passed in by server.ts: what is running, which
 * configuration it has loaded, and the collector scheduler (last reports, "Run now").
 */
import type { Settings, CollectorConfig } from '../config/schema.js';
import type { CollectorProgress } from '../collect/scheduler.js';
import type { SessionLogLines } from '../collect/session-log.js';
import type { SessionReport } from '../collect/session-report.js';

/** The collector scheduler as the admin pages see it (see CollectorScheduler). */
export interface CollectorControl {
  /** The last session report of each collector that has run since the server started. */
  lastReports(): SessionReport[];
  /** One session now; `dryRun` downloads and deletes nothing and fills `plan`. */
  runNow(c: CollectorConfig, opts: { dryRun: boolean }): Promise<SessionReport & { busy: boolean }>;
  /** Starts a real session without waiting; `started` false when one was already running. */
  startNow(c: CollectorConfig): { started: boolean };
  /** The running session's live counts, else the last session's. */
  progress(name: string): CollectorProgress;
  /** The running or last session's log lines (null: none since the server started). */
  sessionLog(name: string): (SessionLogLines & { running: boolean }) | null;
}

/** The running server. Every method reads live state: the pages call them per request. */
export interface AdminRuntime {
  /** The configuration generation the running services have loaded (reload lags a second). */
  configGeneration(): number;
  /** The settings the running services use (not yet the stored ones until the reload). */
  settings(): Settings;
  /** Each service with what it is doing ("listening on 127.0.0.1:2110", "off"). */
  services(): Array<{ name: string; state: string }>;
  collectors: CollectorControl;
  /** The server's data directory (for the log files). */
  dataDir: string;
}
