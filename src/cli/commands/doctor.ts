/**
 * `postroom doctor`: checks the configuration and the running system for what causes duplicates
 * or lost mail, prints each finding with its fix, and exits 1 when any finding is an error.
 */
import type { Command } from 'commander';
import { print, withData } from '../context.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check the configuration and the system; print each finding with its fix (exit 1 on errors)')
    .option('--json', 'print JSON')
    .option('--no-network', 'skip the relay check (it connects to the smarthost; no mail is sent)')
    .action(async (opts: { json?: boolean; network: boolean }, cmd: Command) => {
      const { runDoctor } = await import('../../diagnose/doctor.js');
      await withData(cmd, async (ctx) => {
        const { errors, warnings, findings } = await runDoctor(ctx.store, ctx.dataDir, { network: opts.network });
        if (opts.json) print(JSON.stringify({ errors, warnings, findings }, null, 2));
        else {
          const mark = { ok: 'ok     ', warning: 'WARNING', error: 'ERROR  ' } as const;
          for (const f of findings) {
            print(`${mark[f.severity]} ${f.check}: ${f.message}`);
            if (f.fix) print(`        fix: ${f.fix}`);
          }
          print(errors + warnings === 0 ? 'All checks passed.' : `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}.`);
        }
        if (errors > 0) process.exitCode = 1;
      });
    });
}
