import { createReadStream } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { isLocal } from '../../pipeline/route.js';
import { print, withData } from '../context.js';

const collect = (v: string, acc: string[]) => [...acc, v];

export function registerDeliver(program: Command): void {
  program
    .command('deliver')
    .description('deliver one message (from FILE or standard input) through the pipeline')
    .requiredOption('--to <address>', 'a local recipient (repeatable)', collect, [])
    .argument('[file]', 'the message (RFC 5322); standard input when absent')
    .action(async (file: string | undefined, opts: { to: string[] }, cmd: Command) => {
      await withData(cmd, async (ctx) => {
        const settings = await ctx.store.config.settings();
        const remote = opts.to.filter((a) => !isLocal(a.toLowerCase(), settings.domains));
        if (remote.length > 0) throw new UsageError(`--to ${remote.join(', ')}: not in a local domain (${settings.domains.join(', ')}); deliver only takes local recipients`);
        const content = file ? createReadStream(file, { highWaterMark: 64 * 1024 }) : process.stdin;
        const r = await ctx.pipeline.ingest({ source: { kind: 'cli', name: file ?? 'stdin' }, routing: { mode: 'envelope', recipients: opts.to }, content });
        for (const d of r.results) print(`${d.outcome}\t${d.user}\t${d.mailbox ?? '-'}${d.uid ? ` uid ${d.uid}` : ''}\t${d.reason}`);
      });
    });
}
