/**
 * Reads the server log (DATA/logs/postroom.N.log, JSON lines written by pino) for the Logs page, its
 * API and the dashboard's "recent problems": the newest lines first, filtered by level, source and
 * text. Read on demand from the files' tails, so nothing is kept in memory and what the pages show
 * is exactly what the log says.
 */
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const LEVEL_OF: Record<number, LogLevel> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** One line of the log. */
export interface LogEntry {
  at: number;
  level: LogLevel;
  message: string;
  /** What the line is about: "collector NAME", or the service ("pop3", "admin"), or ''. */
  source: string;
  /** The line's other fields (user, session, remote...), as `key=value`. */
  details: string;
}

export interface LogFilter {
  /** This level and above. */
  minLevel?: LogLevel;
  /** Exactly this source (see LogEntry.source). */
  source?: string;
  /** Case-insensitive, anywhere in the line (message or any field). */
  text?: string;
  limit?: number;
}

/** Bytes read from the end of the log files, newest file first, per request. */
const READ_BUDGET = 2 * 1024 * 1024;
/** Fields shown in their own columns, or noise on every line. */
const SHOWN = new Set(['level', 'time', 'msg', 'service', 'collector', 'pid', 'hostname', 'err']);

/** Matching lines, newest first, and every source seen in what was read (for the filter's choices). */
export async function readLog(dataDir: string, filter: LogFilter = {}): Promise<{ entries: LogEntry[]; sources: string[] }> {
  const limit = filter.limit ?? 200;
  const min = LOG_LEVELS.indexOf(filter.minLevel ?? 'trace');
  const text = filter.text?.toLowerCase() ?? '';
  const entries: LogEntry[] = [];
  const sources = new Set<string>();
  let budget = READ_BUDGET;
  for (const file of await logFiles(dataDir)) {
    if (budget <= 0 || entries.length >= limit) break;
    const chunk = await tail(file, budget);
    budget -= chunk.length;
    const lines = chunk.toString('utf8').split('\n');
    for (let i = lines.length - 1; i >= 0 && entries.length < limit; i--) {
      const e = parse(lines[i]!);
      if (!e) continue; // blank, or the first line of a tail, cut in the middle
      if (e.source) sources.add(e.source);
      if (LOG_LEVELS.indexOf(e.level) < min) continue;
      if (filter.source && e.source !== filter.source) continue;
      if (text && !lines[i]!.toLowerCase().includes(text)) continue;
      entries.push(e);
    }
  }
  return { entries, sources: [...sources].sort() };
}

/** The dashboard's "recent problems": the last warnings and errors. */
export async function recentProblems(dataDir: string, limit = 10): Promise<LogEntry[]> {
  return (await readLog(dataDir, { minLevel: 'warn', limit })).entries;
}

/** postroom.N.log files, newest first. */
async function logFiles(dataDir: string): Promise<string[]> {
  const dir = path.join(dataDir, 'logs');
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /^postroom\..*\.log$/.test(n));
  const withTimes = await Promise.all(names.map(async (n) => ({ file: path.join(dir, n), t: (await stat(path.join(dir, n))).mtimeMs })));
  return withTimes.sort((a, b) => b.t - a.t).map((x) => x.file);
}

function parse(line: string): LogEntry | null {
  if (!line.startsWith('{')) return null;
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
  const level = LEVEL_OF[Number(rec.level)];
  if (!level) return null;
  const err = rec.err as { message?: string } | undefined;
  const details = Object.entries(rec)
    .filter(([k]) => !SHOWN.has(k))
    .map(([k, v]) => `${k}=${clip(typeof v === 'string' ? v : JSON.stringify(v))}`)
    .join(' ');
  return {
    at: Number(rec.time ?? 0),
    level,
    message: [rec.msg, err?.message].filter(Boolean).join(': '),
    source: rec.collector ? `collector ${String(rec.collector)}` : String(rec.service ?? ''),
    details,
  };
}

/** A field's value as shown: whole objects (a session report) would crowd out the message. */
const clip = (v: string) => (v.length > 80 ? `${v.slice(0, 79)}…` : v);

async function tail(file: string, bytes: number): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const start = Math.max(0, size - bytes);
    const buf = Buffer.alloc(size - start);
    await fh.read(buf, 0, buf.length, start);
    return buf;
  } finally {
    await fh.close();
  }
}
