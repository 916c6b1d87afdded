import type { Command } from 'commander';
import { resolveDataDir } from '../../server/data-dir.js';
import { print } from '../context.js';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run all services in the foreground until SIGINT or SIGTERM')
    .action(async (_opts, cmd: Command) => {
      const dataDir = resolveDataDir(cmd.optsWithGlobals<{ data?: string }>().data);
      // Loaded here, not at the top: every other command would pay for the servers' modules.
      const { serverLogger } = await import('../../server/logger.js');
      const { startServer } = await import('../../server/server.js');
      const log = serverLogger(dataDir);
      const server = await startServer(dataDir, log, print);
      // Signal handlers first: a supervisor (or a test) may send SIGTERM the moment it reads
      // "running", and without a handler yet that would kill the process instead of stopping it.
      const stopped = new Promise<void>((resolve) => {
        const onSignal = (sig: NodeJS.Signals) => {
          log.info({ signal: sig }, 'stopping');
          server.stop().then(resolve, (err: unknown) => {
            log.error({ err }, 'error while stopping');
            resolve();
          });
        };
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
      });
      print(`Postroom is running on ${dataDir} (pid ${process.pid}).`);
      for (const s of server.services) print(`  ${s.name}: ${s.describe()}`);
      await stopped;
      // Let pino's transport flush before the process ends.
      await new Promise<void>((resolve) => log.flush(() => resolve()));
    });
}
