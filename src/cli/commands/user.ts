import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { obtainPassword } from '../prompt.js';
import { print, withData } from '../context.js';

/** argon2 is loaded only by the commands that hash (it costs every other command ~10 MB). */
const hashPassword = async (password: string) => (await import('../../auth/passwords.js')).hashPassword(password);

const collect = (v: string, acc: string[]) => [...acc, v];

export function registerUser(program: Command): void {
  const user = program.command('user').description('manage local users');
  user
    .command('add')
    .description('add a user (password typed, read with --password-stdin, or generated and shown)')
    .argument('<name>', 'login name (lower case)')
    .option('-a, --address <address>', 'an e-mail address of the user (repeatable)', collect, [])
    .option('--admin', 'may use the admin web pages')
    .option('--password-stdin', 'read the password from the first line of standard input')
    .action(async (name: string, opts: { address: string[]; admin?: boolean; passwordStdin?: boolean }, cmd: Command) => {
      if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) throw new UsageError(`"${name}" is not a valid user name: use lower-case letters, digits, ".", "_" or "-"`);
      const bad = opts.address.find((a) => !/^[^\s@<>]+@[^\s@<>]+$/.test(a));
      if (bad) throw new UsageError(`--address ${bad}: not an e-mail address (expected name@domain)`);
      const { password, generated } = await obtainPassword(opts.passwordStdin ?? false);
      await withData(cmd, async (ctx) => {
        await ctx.store.users.add({ name, addresses: opts.address.map((a) => a.toLowerCase()), admin: opts.admin ?? false, passwordHash: await hashPassword(password) });
      });
      print(`Added user ${name}.`);
      if (generated) print(`Password: ${password}`);
    });
  user
    .command('list')
    .description('list users and their addresses')
    .action(async (_o, cmd: Command) => {
      await withData(cmd, async (ctx) => {
        const users = await ctx.store.users.list();
        if (users.length === 0) print('No users.');
        for (const u of users) print(`${u.name}${u.admin ? ' (admin)' : ''}${u.passwordHash ? '' : ' (no password)'}\t${u.addresses.join(', ')}`);
      });
    });
  user
    .command('passwd')
    .description("set a user's password")
    .argument('<name>')
    .option('--password-stdin', 'read the password from the first line of standard input')
    .action(async (name: string, opts: { passwordStdin?: boolean }, cmd: Command) => {
      const { password, generated } = await obtainPassword(opts.passwordStdin ?? false);
      await withData(cmd, async (ctx) => ctx.store.users.setPassword(name, await hashPassword(password)));
      print(`Password of ${name} changed.`);
      if (generated) print(`Password: ${password}`);
    });
  user
    .command('remove')
    .description('remove a user\'s login and addresses; their mailboxes are kept')
    .argument('<name>')
    .action(async (name: string, _o, cmd: Command) => {
      await withData(cmd, async (ctx) => {
        if (!(await ctx.store.users.remove(name))) throw new UsageError(`no user named "${name}"`);
      });
      print(`Removed user ${name}. Their mail is kept; adding a user of the same name gives it back.`);
    });
}
