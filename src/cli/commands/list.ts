/**
 * `postroom list`: distribution and mailing lists from the command line, through the same edits as
 * the admin's Lists page and /api/lists (config/edit.ts), so the same checks refuse the same
 * mistakes (an unknown member, an address another user or list has) and name the key.
 */
import type { Command } from 'commander';
import type { ApplyResult } from '../../config/apply.js';
import type { ListConfig } from '../../config/schema.js';
import { UsageError } from '../../errors.js';
import type { Store } from '../../store/interfaces.js';
import { print, withData } from '../context.js';

const collect = (v: string, acc: string[]) => [...acc, v];
/** The edits (and the schema behind them) are loaded only by the commands that change something. */
const edits = () => import('../../config/edit.js');

async function listNamed(store: Store, name: string): Promise<ListConfig> {
  const l = await store.config.list(name);
  if (!l) throw new UsageError(`no list named "${name}" (see: postroom list)`);
  return l;
}

function describeList(l: ListConfig): string {
  const options = [l.membersOnly ? 'members only' : '', l.noSelfCopy ? 'no copy to the poster' : ''].filter(Boolean);
  return `${l.name}\t${l.address}\t${l.type}\t${l.members.length} member(s)${options.length ? `\t${options.join(', ')}` : ''}`;
}

function printResult(r: ApplyResult): void {
  for (const c of r.changes) print(c);
  for (const n of r.notes) print(`note: ${n}`);
}

export function registerList(program: Command): void {
  const list = program
    .command('list')
    .description('distribution and mailing lists: show, add, change members, remove')
    .action(async (_opts: unknown, cmd: Command) => {
      await withData(cmd, async (ctx) => {
        const lists = (await ctx.store.config.snapshot()).lists;
        if (lists.length === 0) return print('No lists. Add one with: postroom list add NAME ADDRESS [--member USER...] (or under lists: in the configuration file)');
        for (const l of lists) print(describeList(l));
      });
    });
  list
    .command('show')
    .description("a list's address, kind, options and members")
    .argument('<name>')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      await withData(cmd, async (ctx) => {
        const l = await listNamed(ctx.store, name);
        print(describeList(l));
        for (const m of l.members) print(`  ${m}`);
      });
    });
  list
    .command('add')
    .description('add a list (a distribution list unless --mailing)')
    .argument('<name>', 'the list name (lower case)')
    .argument('<address>', 'its e-mail address, in a local domain')
    .option('-m, --member <user-or-address>', 'a member: a local user, another list, or an outside address (repeatable)', collect, [])
    .option('--mailing', 'a mailing list (List-Id headers, its own copy of each post) rather than a distribution list')
    .option('--members-only', 'mailing lists: only members may post')
    .option('--no-self-copy', "mailing lists: a member's own post is not sent back to them")
    .action(async (name: string, address: string, opts: { member: string[]; mailing?: boolean; membersOnly?: boolean; selfCopy?: boolean }, cmd: Command) => {
      await withData(cmd, async (ctx) => {
        const { saveList } = await edits();
        printResult(
          await saveList(ctx.store, null, {
            name,
            address,
            type: opts.mailing ? 'mailing' : 'distribution',
            members: opts.member,
            ...(opts.membersOnly ? { membersOnly: true } : {}),
            ...(opts.selfCopy === false ? { noSelfCopy: true } : {}),
          }),
        );
      });
    });
  const members = (verb: 'add-member' | 'remove-member') =>
    list
      .command(verb)
      .description(verb === 'add-member' ? 'add members to a list' : 'remove members from a list')
      .argument('<name>')
      .argument('<members...>')
      .action(async (name: string, given: string[], _opts: unknown, cmd: Command) => {
        await withData(cmd, async (ctx) => {
          const l = await listNamed(ctx.store, name);
          const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
          if (verb === 'remove-member') {
            const missing = given.filter((g) => !l.members.some((m) => same(m, g)));
            if (missing.length) throw new UsageError(`not members of ${name}: ${missing.join(', ')} (see: postroom list show ${name})`);
          }
          const next = verb === 'add-member' ? [...l.members, ...given.filter((g) => !l.members.some((m) => same(m, g)))] : l.members.filter((m) => !given.some((g) => same(m, g)));
          const { patchList } = await edits();
          printResult(await patchList(ctx.store, name, { members: next }));
        });
      });
  members('add-member');
  members('remove-member');
  list
    .command('remove')
    .description('remove a list (refused while another list or a collector names it)')
    .argument('<name>')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      await withData(cmd, async (ctx) => {
        const { removeList } = await edits();
        printResult(await removeList(ctx.store, name));
      });
    });
}
