/**
 * `postroom diagnose`: why a user got two copies of a message (or why a copy was suppressed or
 * held), from the stored story; or, with --report, how many copies each cause cost recently.
 */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { print, withData } from '../context.js';

interface DiagnoseOptions {
  messageId?: string;
  uid?: string[];
  folder: string;
  eml?: string[];
  json?: boolean;
  report?: boolean;
  days: string;
}

const collect = (v: string, acc: string[] = []) => [...acc, v];

export function registerDiagnose(program: Command): void {
  program
    .command('diagnose')
    .description('explain why USER got two copies of a message, or why a copy was suppressed or held')
    .argument('[user]', 'the local user who got the copies')
    .option('--message-id <id>', 'the Message-ID of the message')
    .option('--uid <uid>', "a message's UID in --folder (give two)", collect)
    .option('--folder <name>', 'the folder of --uid', 'INBOX')
    .option('--eml <file>', 'a saved copy of the message (give two)', collect)
    .option('--report', 'count suppressed and held copies per cause')
    .option('--days <n>', 'with --report: how many days back', '7')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  postroom diagnose bob --message-id "<abc@example.com>"\n  postroom diagnose bob --uid 17 --uid 18\n  postroom diagnose --eml one.eml --eml two.eml\n  postroom diagnose --report --days 30')
    .action(async (user: string | undefined, opts: DiagnoseOptions, cmd: Command) => {
      const { diagnoseCopies, formatDiagnosis, buildReport, formatReport } = await import('../../diagnose/diagnose.js');
      const gather = await import('../../diagnose/gather.js');
      const { classify } = await import('../../diagnose/classify.js');
      const { normalizeMessageId } = await import('../../pipeline/header-fields.js');
      const out = (text: string[], json: unknown) => print(opts.json ? JSON.stringify(json, null, 2) : text.join('\n'));
      await withData(cmd, async (ctx) => {
        const dctx = await gather.diagnoseContext(ctx.store);
        if (opts.report) {
          const days = Number(opts.days);
          if (!(days > 0)) throw new UsageError(`--days ${opts.days}: give a number of days greater than 0`);
          const since = Date.now() - days * 86_400_000;
          const findings = [];
          for (const s of await ctx.store.provenance.recent(since, ['suppressed', 'held'], 10_000)) {
            const earlier = await ctx.store.provenance.earlierMatch(s);
            if (!earlier) continue;
            findings.push(classify(await gather.evidenceOf(ctx.blobs, earlier), await gather.evidenceOf(ctx.blobs, s), dctx));
          }
          const r = buildReport(since, findings);
          return out(formatReport(r), r);
        }
        if (opts.eml) {
          if (opts.eml.length !== 2) throw new UsageError('give two files: --eml FIRST --eml SECOND');
          const copies = [await gather.evidenceOfFile(opts.eml[0]!), await gather.evidenceOfFile(opts.eml[1]!)];
          const d = diagnoseCopies(user ?? '(files)', `files ${opts.eml.join(' and ')}`, copies, dctx);
          return out(formatDiagnosis(d), d);
        }
        if (!user) throw new UsageError('name the user: postroom diagnose USER --message-id ID (or --uid A --uid B, or --eml A --eml B, or --report)');
        if (opts.uid) {
          if (opts.uid.length !== 2) throw new UsageError(`give two UIDs of ${opts.folder}: --uid A --uid B`);
          const copies = [];
          for (const u of opts.uid) {
            const s = await ctx.store.provenance.copyAt(user, opts.folder, Number(u));
            if (!s) throw new UsageError(`${user} has no message with UID ${u} in ${opts.folder} (see "postroom mailbox ${user}")`);
            copies.push(await gather.evidenceOf(ctx.blobs, s));
          }
          copies.sort((a, b) => a.deliveryId! - b.deliveryId!);
          const d = diagnoseCopies(user, `UIDs ${opts.uid.join(' and ')} in ${opts.folder}`, copies, dctx);
          return out(formatDiagnosis(d), d);
        }
        const id = normalizeMessageId(opts.messageId ?? null);
        if (!id) throw new UsageError('give --message-id ID, two --uid, two --eml, or --report');
        const copies = await gather.copiesByMessageId(ctx.store, ctx.blobs, user, id);
        if (copies.length === 0) throw new UsageError(`${user} never got a message with Message-ID <${id}> (nothing in the provenance)`);
        const d = diagnoseCopies(user, `Message-ID <${id}>`, copies, dctx);
        out(formatDiagnosis(d), d);
      });
    });
}
