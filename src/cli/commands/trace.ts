/**
 * `postroom trace`: find a message of the last 7 days and print its timeline; the same service
 * (diagnose/trace.ts) as the admin's Message trace page and /api/trace.
 */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { print, withData } from '../context.js';

interface TraceOptions {
  field: string;
  id?: string;
  json?: boolean;
}

export function registerTrace(program: Command): void {
  program
    .command('trace')
    .description('find a message received in the last 7 days and show what happened to it')
    .argument('[query]', 'text to look for (an address, part of a subject, a Message-ID); none lists recent messages')
    .option('--field <field>', 'where to look: any, from, to, subject, messageId', 'any')
    .option('--id <n>', "show message #n's timeline (the numbers a search prints)")
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  postroom trace "Invoice 1" --field subject\n  postroom trace bob@example.com --field to\n  postroom trace --id 42\n\nA search that finds exactly one message prints its timeline.')
    .action(async (query: string | undefined, opts: TraceOptions, cmd: Command) => {
      const { searchTrace, traceMessage, traceSearch, formatSummary, formatTrace, TRACE_FIELDS } = await import('../../diagnose/trace.js');
      if (!TRACE_FIELDS.some((f) => f === opts.field)) throw new UsageError(`--field ${opts.field}: use one of ${TRACE_FIELDS.join(', ')}`);
      await withData(cmd, async (ctx) => {
        let id = opts.id === undefined ? undefined : Number(opts.id);
        if (id !== undefined && !(Number.isInteger(id) && id > 0)) throw new UsageError(`--id ${opts.id}: give a message number (see: postroom trace QUERY)`);
        if (id === undefined) {
          const found = await searchTrace(ctx.store, traceSearch(query ?? '', opts.field));
          if (found.length !== 1) {
            if (opts.json) return print(JSON.stringify(found, null, 2));
            return print(found.length === 0 ? 'No message of the last 7 days matches.' : found.map(formatSummary).join('\n'));
          }
          id = found[0]!.ingestId;
        }
        const trace = await traceMessage(ctx.store, id);
        if (!trace) throw new UsageError(`there is no message #${id}`);
        print(opts.json ? JSON.stringify(trace, null, 2) : formatTrace(trace).join('\n'));
      });
    });
}
