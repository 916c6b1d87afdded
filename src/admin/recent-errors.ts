/**
 * The dashboard's "recent errors": warnings and errors from the tail of the newest server log file
 * (DATA/logs/postroom.N.log, JSON lines written by pino). Read on demand, so nothing is kept in
 * memory and what the page shows is exactly what the log says.
 */
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** One warning or error line of the log. */
export interface LogProblem {
  at: number;
  level: 'warn' | 'error' | 'fatal';
  message: string;
  /** What the line is about: the service or collector, when the line says. */
  source: string;
}

const TAIL_BYTES = 256 * 1024;
const LEVELS: Record<number, LogProblem['level']> = { 40: 'warn', 50: 'error', 60: 'fatal' };

export async function recentProblems(dataDir: string, limit = 10): Promise<LogProblem[]> {
  const dir = path.join(dataDir, 'logs');
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /^postroom\..*\.log$/.test(n));
  if (names.length === 0) return [];
  const withTimes = await Promise.all(names.map(async (n) => ({ n, t: (await stat(path.join(dir, n))).mtimeMs })));
  const newest = withTimes.sort((a, b) => b.t - a.t)[0]!.n;
  const text = await tail(path.join(dir, newest), TAIL_BYTES);
  const out: LogProblem[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let rec: { level?: number; time?: number; msg?: string; service?: string; collector?: string; err?: { message?: string } };
    try {
      rec = JSON.parse(line) as typeof rec;
    } catch {
      continue; // the first line of the tail is usually cut
    }
    const level = LEVELS[rec.level ?? 0];
    if (!level) continue;
    const message = [rec.msg, rec.err?.message].filter(Boolean).join(': ');
    out.push({ at: rec.time ?? 0, level, message, source: rec.collector ? `collector ${rec.collector}` : (rec.service ?? '') });
  }
  return out.slice(-limit).reverse();
}

async function tail(file: string, bytes: number): Promise<string> {
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const start = Math.max(0, size - bytes);
    const buf = Buffer.alloc(size - start);
    await fh.read(buf, 0, buf.length, start);
    return buf.toString('utf8');
  } finally {
    await fh.close();
  }
}
