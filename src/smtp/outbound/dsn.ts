/**
 * Delivery status notifications (RFC 3464): a multipart/report with a readable part, the
 * machine-readable message/delivery-status, and the original header block (text/rfc822-headers).
 */
import { randomBytes } from 'node:crypto';

/** One recipient that could not be reached. */
export interface FailedRecipient {
  recipient: string;
  /** Enhanced status code (RFC 3463), e.g. 5.1.1; 4.4.7 for "gave up after the queue lifetime". */
  status: string;
  /** The smarthost's reply or our reason, for Diagnostic-Code. */
  diagnostic: string;
  lastAttempt: Date;
}

/**
 * `failed` (the default): a bounce, delivery given up. `delayed`: a warning that delivery is still
 * being retried (RFC 3464 Action: delayed), sent once when a recipient has waited too long.
 */
export type DsnAction = 'failed' | 'delayed';

export function buildDsn(opts: { hostname: string; to: string; arrival: Date; failed: FailedRecipient[]; originalHeaders: Buffer; action?: DsnAction; retryUntil?: Date }): Buffer {
  const action = opts.action ?? 'failed';
  const boundary = `postroom-dsn-${randomBytes(8).toString('hex')}`;
  const date = (d: Date) => d.toUTCString().replace(/GMT$/, '+0000');
  const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ').trim();
  const human = [
    `This is the mail system at ${opts.hostname}.`,
    '',
    action === 'failed'
      ? 'Your message could not be delivered to the following recipients:'
      : 'Your message has not been delivered yet to the following recipients. This is only a warning: delivery is still being tried' +
        (opts.retryUntil ? ` until ${date(opts.retryUntil)}.` : '.'),
    '',
    ...opts.failed.map((f) => `  <${f.recipient}>: ${oneLine(f.diagnostic)}`),
    '',
    'The headers of your message are attached.',
  ];
  const perRecipient = opts.failed.flatMap((f) => [
    '',
    `Final-Recipient: rfc822; ${f.recipient}`,
    `Action: ${action}`,
    `Status: ${f.status}`,
    `Diagnostic-Code: smtp; ${oneLine(f.diagnostic)}`,
    `Last-Attempt-Date: ${date(f.lastAttempt)}`,
    ...(action === 'delayed' && opts.retryUntil ? [`Will-Retry-Until: ${date(opts.retryUntil)}`] : []),
  ]);
  const lines = [
    `From: Mail Delivery System <MAILER-DAEMON@${opts.hostname}>`,
    `To: <${opts.to}>`,
    action === 'failed' ? 'Subject: Undelivered Mail Returned to Sender' : 'Subject: Delayed Mail (still being retried)',
    `Date: ${date(new Date())}`,
    `Message-ID: <dsn.${randomBytes(10).toString('hex')}@${opts.hostname}>`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    ...human,
    '',
    `--${boundary}`,
    'Content-Type: message/delivery-status',
    '',
    `Reporting-MTA: dns; ${opts.hostname}`,
    `Arrival-Date: ${date(opts.arrival)}`,
    ...perRecipient,
    '',
    `--${boundary}`,
    'Content-Type: text/rfc822-headers',
    '',
  ];
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n'), opts.originalHeaders, Buffer.from(`\r\n--${boundary}--\r\n`)]);
}
