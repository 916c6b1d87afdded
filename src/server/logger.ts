/**
 * Logging: pino, JSON lines. The server logs to stdout and to DATA/logs/postroom.N.log, rotated
 * daily or at 10 MB, keeping 14 files. CLI commands log warnings to stderr only.
 */
import path from 'node:path';
import pino, { type Logger } from 'pino';

export function serverLogger(dataDir: string, level = process.env.POSTROOM_LOG_LEVEL ?? 'info'): Logger {
  const transport = pino.transport({
    targets: [
      { target: 'pino/file', level, options: { destination: 1 } },
      {
        target: 'pino-roll',
        level,
        options: { file: path.join(dataDir, 'logs', 'postroom'), extension: '.log', frequency: 'daily', size: '10m', mkdir: true, limit: { count: 14 } },
      },
    ],
  });
  return pino({ level, base: { pid: process.pid } }, transport);
}

export function cliLogger(level = process.env.POSTROOM_LOG_LEVEL ?? 'warn'): Logger {
  return pino({ level, base: undefined }, pino.destination(2));
}
