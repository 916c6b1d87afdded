import type { Command } from 'commander';
import { cliLogger } from '../server/logger.js';
import { openDataDir, resolveDataDir, type DataContext } from '../server/data-dir.js';

/** Runs `fn` with the data directory opened for a short command (safe beside a running server). */
export async function withData<T>(cmd: Command, fn: (ctx: DataContext) => Promise<T>): Promise<T> {
  const dataDir = resolveDataDir(cmd.optsWithGlobals<{ data?: string }>().data);
  const ctx = await openDataDir(dataDir, cliLogger());
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

export const print = (line: string): void => {
  process.stdout.write(line + '\n');
};
