import type { Command } from 'commander';
import { formatReport } from '../../collect/session-report.js';
import { UsageError } from '../../errors.js';
import { print, withData } from '../context.js';

export function registerCollect(program: Command): void {
  program
    .command('collect')
    .description('run collectors now (all enabled ones, or those named) and print what each did')
    .argument('[name...]', 'collector names (default: every enabled collector)')
    .option('--once', 'one session per collector, then exit (the default; kept for scripts)')
    .option('--dry-run', 'download and delete nothing: read headers and show who would receive each message')
    .action(async (names: string[], opts: { dryRun?: boolean }, cmd: Command) => {
      const { runCollector } = await import('../../collect/run-collector.js');
      const { SingleBar, Presets } = await import('cli-progress');
      await withData(cmd, async (ctx) => {
        const all = (await ctx.store.config.snapshot()).collectors;
        const unknown = names.filter((n) => !all.some((c) => c.name === n));
        if (unknown.length > 0) throw new UsageError(`no collector named ${unknown.map((n) => `"${n}"`).join(', ')} (collectors: ${all.map((c) => c.name).join(', ') || 'none'})`);
        const chosen = names.length > 0 ? all.filter((c) => names.includes(c.name)) : all.filter((c) => c.enabled);
        if (chosen.length === 0) print('No enabled collectors.');
        let failed = false;
        for (const c of chosen) {
          const bar = process.stdout.isTTY ? new SingleBar({ format: `${c.name} [{bar}] {value}/{total}`, hideCursor: true }, Presets.shades_classic) : null;
          const report = await runCollector({ store: ctx.store, pipeline: ctx.pipeline, dataDir: ctx.dataDir, log: ctx.log }, c, {
            dryRun: opts.dryRun ?? false,
            onProgress: (done, total) => {
              if (!bar) return;
              if (done === 0) bar.start(total, 0);
              else bar.update(done);
            },
          });
          bar?.stop();
          if (report.busy) print(`${c.name}: another session is collecting from ${report.mailbox} right now; skipped`);
          else print(formatReport(report));
          for (const p of report.plan ?? []) print(`  ${p.remoteId}  ${p.subject ?? '(no subject)'}  → ${p.recipients.join(', ') || '(nobody)'}${p.note ? `  [${p.note}]` : ''}`);
          if (report.errors.length > 0) failed = true;
        }
        if (failed) process.exitCode = 1;
      });
    });
}
