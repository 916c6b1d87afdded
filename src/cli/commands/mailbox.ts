import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { print, withData } from '../context.js';

export function registerMailbox(program: Command): void {
  program
    .command('mailbox')
    .description("list a user's folders and the messages in them")
    .argument('<user>')
    .option('--folder <name>', 'only this folder')
    .action(async (user: string, opts: { folder?: string }, cmd: Command) => {
      await withData(cmd, async (ctx) => {
        const known = await ctx.store.users.get(user);
        const boxes = await ctx.store.mailboxes.list(user);
        if (!known && boxes.every((b) => b.messageCount === 0)) throw new UsageError(`no user named "${user}" and no mail kept for that name`);
        for (const b of boxes) {
          if (opts.folder && b.name !== opts.folder) continue;
          print(`${b.name} (${b.messageCount} message${b.messageCount === 1 ? '' : 's'}, UIDVALIDITY ${b.uidValidity})`);
          for (const m of await ctx.store.mailboxes.messages(b.id)) {
            const date = new Date(m.internalDate).toISOString().replace('T', ' ').slice(0, 19);
            print(`  ${String(m.uid).padStart(5)}  ${date}  ${String(m.wireSize).padStart(9)}  ${m.from ?? '(no sender)'}  ${m.subject ?? '(no subject)'}`);
          }
        }
      });
    });
}
