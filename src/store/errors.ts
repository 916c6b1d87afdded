import { MailError } from '../errors.js';
import type { JournalKey } from './interfaces.js';

/** The remote message was already downloaded by another session: this copy must not be spooled. */
export class JournalConflictError extends MailError {
  constructor(
    readonly key: JournalKey,
    readonly spoolId: number,
  ) {
    super({ message: `${key.mailboxKey} ${key.remoteId} was already downloaded (spool entry ${spoolId})`, temporary: false });
  }
}
