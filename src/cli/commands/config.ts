import type { Command } from 'commander';
import { print, withData } from '../context.js';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('apply or export the declarative configuration (YAML)');
  config
    .command('apply')
    .description('make the configuration what FILE says, atomically; prints what changed')
    .argument('<file>', 'YAML configuration file')
    .option('--prune', 'also remove users that are not in the file (their mail is kept)')
    .option('--dry-run', 'check the file and print what would change, changing nothing')
    .action(async (file: string, opts: { prune?: boolean; dryRun?: boolean }, cmd: Command) => {
      await withData(cmd, async (ctx) => {
        const { applyConfigFile } = await import('../../config/apply.js');
        const r = await applyConfigFile(ctx.store, file, opts);
        for (const n of r.notes) print(`note: ${n}`);
        if (r.changes.length === 0) print('No changes: the configuration already matches the file.');
        else {
          print(opts.dryRun ? 'Would change:' : 'Changed:');
          for (const c of r.changes) print(`  ${c}`);
        }
      });
    });
  config
    .command('export')
    .description('print the current configuration as YAML (passwords omitted)')
    .action(async (_opts, cmd: Command) => {
      const { exportConfig } = await import('../../config/apply.js');
      await withData(cmd, async (ctx) => process.stdout.write(await exportConfig(ctx.store)));
    });
}
