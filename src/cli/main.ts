/** The `postroom` command. Each subcommand lives in commands/; this file only wires them up. */
import { Command, CommanderError } from 'commander';
import { MailError, UsageError } from '../errors.js';
import { registerCollect } from './commands/collect.js';
import { registerConfig } from './commands/config.js';
import { registerDeliver } from './commands/deliver.js';
import { registerDiagnose } from './commands/diagnose.js';
import { registerDoctor } from './commands/doctor.js';
import { registerDuplicates } from './commands/duplicates.js';
import { registerList } from './commands/list.js';
import { registerMailbox } from './commands/mailbox.js';
import { registerQueue } from './commands/queue.js';
import { registerStart } from './commands/start.js';
import { registerTrace } from './commands/trace.js';
import { registerUser } from './commands/user.js';

const program = new Command('postroom')
  .description('Postroom: the small-office mail server that delivers each message to each person exactly once.')
  .option('--data <dir>', 'data directory (default: $POSTROOM_DATA, else ./data)')
  .showHelpAfterError()
  .exitOverride();

registerStart(program);
registerConfig(program);
registerUser(program);
registerList(program);
registerDeliver(program);
registerCollect(program);
registerMailbox(program);
registerQueue(program);
registerDuplicates(program);
registerDiagnose(program);
registerDoctor(program);
registerTrace(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else if (err instanceof UsageError) {
    process.stderr.write(`postroom: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else if (err instanceof MailError) {
    // 75 (EX_TEMPFAIL) tells a calling MTA or script to try again later: nothing was lost.
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    process.stderr.write(`postroom: ${err.message}${cause}${err.temporary ? ' (temporary: try again)' : ''}\n`);
    process.exitCode = err.temporary ? 75 : 1;
  } else {
    process.stderr.write(`postroom: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  }
}
