/**
 * The dashboard's counts, shared by the page and GET /api/status: the outbound queue at a glance and
 * the copies the duplicate policy held or suppressed today. Both are counted by the store.
 */
import type { OutboundSummary, Store } from '../store/interfaces.js';

export interface DashboardCounts {
  queue: OutboundSummary & { oldestAgeSeconds: number | null };
  /** Since local midnight of the server (what "today" means to the office reading the page). */
  today: { since: number; held: number; suppressed: number; delivered: number };
}

/** Local midnight at or before `now`. */
export function startOfDay(now: number): number {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export async function dashboardCounts(store: Store, now = Date.now()): Promise<DashboardCounts> {
  const since = startOfDay(now);
  const [queue, outcomes] = await Promise.all([store.outbound.summary(), store.provenance.outcomeCounts(since)]);
  return {
    queue: { ...queue, oldestAgeSeconds: queue.oldestQueuedAt === null ? null : Math.max(0, Math.floor((now - queue.oldestQueuedAt) / 1000)) },
    today: { since, ...outcomes },
  };
}

/** The counts as GET /api/status shows them: times as ISO strings. */
export function countsJson(c: DashboardCounts) {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    queue: { ...c.queue, oldestQueuedAt: c.queue.oldestQueuedAt === null ? null : iso(c.queue.oldestQueuedAt) },
    duplicatesToday: { ...c.today, since: iso(c.today.since) },
  };
}

/** "45 s", "12 min", "2 h 5 min", "3 d 4 h": how long the oldest entry has waited. */
export function ageText(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const min = Math.floor(seconds / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}
