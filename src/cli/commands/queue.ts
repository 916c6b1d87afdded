/** `postroom queue`: the outbound queue (list, retry ID, delete ID); safe beside a running server. */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { print, withData } from '../context.js';

const parseId = (raw: string): number => {
  const id = Number(raw);
  if (!Number.isInteger(id) || id <= 0) throw new UsageError(`"${raw}" is not a queue id (see: postroom queue)`);
  return id;
};
const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

export function registerQueue(program: Command): void {
  const queue = program
    .command('queue')
    .description('the outbound queue: messages waiting for the smarthost, and those that bounced')
    .action(async (_opts: unknown, cmd: Command) => {
      await withData(cmd, async (ctx) => {
        const rows = await ctx.store.outbound.list();
        if (rows.length === 0) return print('The outbound queue is empty.');
        for (const r of rows) {
          const next = r.state === 'queued' ? `next ${when(r.nextAttemptAt)}` : 'bounced';
          print(`${r.id}\t${r.state}\t${r.sender ?? '<>'} -> ${r.recipient}\t${r.size} octets\tqueued ${when(r.createdAt)}\t${r.attempts} attempt(s), ${next}${r.lastError ? `\t${r.lastError}` : ''}`);
        }
      });
    });
  queue
    .command('retry')
    .description('try a queued recipient again at the next pass (within seconds)')
    .argument('<id>')
    .action(async (raw: string, _opts: unknown, cmd: Command) => {
      const id = parseId(raw);
      await withData(cmd, async (ctx) => {
        if (!(await ctx.store.outbound.retryNow(id, Date.now()))) throw new UsageError(`no queued entry ${id} (see: postroom queue)`);
        print(`${id}: will be retried at the next pass`);
      });
    });
  queue
    .command('delete')
    .description('remove an entry from the queue without bouncing it')
    .argument('<id>')
    .action(async (raw: string, _opts: unknown, cmd: Command) => {
      const id = parseId(raw);
      await withData(cmd, async (ctx) => {
        if (!(await ctx.store.outbound.remove(id))) throw new UsageError(`no queue entry ${id} (see: postroom queue)`);
        print(`${id}: deleted`);
      });
    });
}
