/**
 * The one error type Postroom throws on purpose (after maddy's exterrors).
 *
 * `publicMessage` is what a client or user may see; `message` and `cause` are what the log keeps.
 * Errors are temporary unless marked permanent: a temporary error means "try again later, nothing
 * was lost", which is the safe default for a mail server.
 */
export class MailError extends Error {
  readonly code: number;
  readonly enhanced: string;
  readonly temporary: boolean;
  readonly publicMessage: string;

  constructor(opts: {
    message: string;
    code?: number;
    enhanced?: string;
    temporary?: boolean;
    publicMessage?: string;
    cause?: unknown;
  }) {
    super(opts.message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'MailError';
    this.temporary = opts.temporary ?? true;
    this.code = opts.code ?? (this.temporary ? 451 : 554);
    this.enhanced = opts.enhanced ?? (this.temporary ? '4.3.0' : '5.3.0');
    this.publicMessage = opts.publicMessage ?? (this.temporary ? 'Temporary local error, try again later' : 'Message refused');
  }
}

/** A user-facing failure of a command (bad config, unknown user): exit status 2, message printed as is. */
export class UsageError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'UsageError';
    this.exitCode = exitCode;
  }
}
