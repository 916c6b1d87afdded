/**
 * The log lines of one collector session, kept in memory for the admin's "last session's log":
 * a pino child logger whose output goes to the parent's destination as usual and is also kept
 * here (a tee of the destination, so the lines are the very JSON the log files get).
 *
 * Kept at info level even when the server logs less (tests log nothing): the admin page should
 * show what the session did whatever the file log level; the parent still gets only its level.
 * Bounded: the first HEAD lines (what it connected to, what it found) and the last ones (errors,
 * deletions, the summary) are kept, the middle is counted.
 */
import pino, { type DestinationStream, type Logger } from 'pino';

export interface SessionLogLine {
  time: number;
  level: string;
  msg: string;
  /** The line's other fields (collector, err, report...), as logged. */
  fields: Record<string, unknown>;
}

export interface SessionLogLines {
  lines: SessionLogLine[];
  /** Lines left out in the middle (the session logged more than the bound), before lines[droppedAt]. */
  dropped: number;
  droppedAt: number;
}

const { streamSym, needsMetadataGsym } = pino.symbols;
/** What pino writes on a destination that asks for metadata (multistream does). */
const METADATA = ['lastLevel', 'lastObj', 'lastMsg', 'lastTime', 'lastLogger'] as const;
const OMIT = new Set(['time', 'level', 'msg', 'pid', 'hostname', 'service']);

type MetaStream = DestinationStream & { [needsMetadataGsym]?: boolean; lastLevel?: number } & Record<string, unknown>;

export class SessionLog {
  readonly logger: Logger;
  private readonly kept: SessionLogLine[] = [];
  private dropped = 0;

  constructor(
    parent: Logger,
    private readonly max = 500,
    private readonly head = 50,
  ) {
    const info = pino.levels.values.info!;
    const level = parent.levelVal < info ? parent.level : 'info';
    const logger = parent.child({}, { level });
    const target = (parent as unknown as Record<symbol, MetaStream>)[streamSym]!;
    const tee: MetaStream = {
      [needsMetadataGsym]: true,
      write: (line: string) => {
        this.keep(line);
        if ((tee.lastLevel ?? 0) < parent.levelVal) return;
        if (target[needsMetadataGsym]) for (const k of METADATA) (target as Record<string, unknown>)[k] = tee[k];
        target.write(line);
      },
    };
    // Children of this logger (run-collector's per-collector child) inherit the destination.
    (logger as unknown as Record<symbol, MetaStream>)[streamSym] = tee;
    this.logger = logger;
  }

  private keep(line: string): void {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const level = typeof o.level === 'number' ? (pino.levels.labels[o.level] ?? String(o.level)) : String(o.level);
    const fields = Object.fromEntries(Object.entries(o).filter(([k]) => !OMIT.has(k)));
    this.kept.push({ time: typeof o.time === 'number' ? o.time : Date.now(), level, msg: typeof o.msg === 'string' ? o.msg : '', fields });
    if (this.kept.length > this.max) {
      this.kept.splice(this.head, 1);
      this.dropped++;
    }
  }

  snapshot(): SessionLogLines {
    return { lines: [...this.kept], dropped: this.dropped, droppedAt: this.head };
  }
}
