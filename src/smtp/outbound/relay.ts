/**
 * One relay attempt through the smarthost (`relay`) with nodemailer's SMTP connection: TLS or
 * STARTTLS as configured, AUTH when a user is set, one transaction for every recipient of a
 * message. Per-recipient answers come back; a failure of the whole attempt is thrown as MailError
 * (temporary unless the smarthost said 5xx to the connection, AUTH or MAIL FROM).
 */
import type { Readable } from 'node:stream';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { Settings } from '../../config/schema.js';
import { MailError } from '../../errors.js';

/** What the smarthost said about each recipient of one attempt. */
export interface RelayOutcome {
  accepted: string[];
  /** Refused recipients; `permanent` when the reply was 5xx. */
  rejected: Array<{ recipient: string; permanent: boolean; reply: string }>;
  response: string;
}

type RelayConfig = NonNullable<Settings['relay']>;

interface SmtpErrorLike {
  message: string;
  code?: string;
  response?: string;
  responseCode?: number;
  recipient?: string;
  rejectedErrors?: SmtpErrorLike[];
}

const replyOf = (e: SmtpErrorLike) => e.response ?? e.message;

/** A connection to the smarthost with its security settings (not yet connected). */
export function relayConnection(relay: RelayConfig, hostname: string, timeouts: { connectMs: number; socketMs: number }): SMTPConnection {
  return new SMTPConnection({
    host: relay.host,
    port: relay.port,
    secure: relay.security === 'tls',
    requireTLS: relay.security === 'starttls',
    ignoreTLS: relay.security === 'none',
    name: hostname,
    connectionTimeout: timeouts.connectMs,
    greetingTimeout: timeouts.connectMs,
    socketTimeout: timeouts.socketMs,
  });
}

export async function relayMessage(relay: RelayConfig, hostname: string, sender: string | null, recipients: string[], content: Readable, size: number): Promise<RelayOutcome> {
  const conn = relayConnection(relay, hostname, { connectMs: 30_000, socketMs: 5 * 60_000 });
  // A connection failure is emitted as 'error' (connect() only calls back on success): every step
  // races it, so no step waits forever on a dead connection.
  let failed: SmtpErrorLike | null = null;
  const failures = new Set<(e: SmtpErrorLike) => void>();
  conn.on('error', (e: SmtpErrorLike) => {
    failed ??= e;
    for (const f of failures) f(e);
  });
  conn.on('end', () => {
    const e = { message: 'the smarthost closed the connection', code: 'ECONNECTION' };
    failed ??= e;
    for (const f of failures) f(e);
  });
  const step = <T>(fn: (cb: (err: SmtpErrorLike | null | undefined, v?: T) => void) => void) =>
    new Promise<T>((resolve, reject) => {
      if (failed) return reject(failed);
      const onFail = (e: SmtpErrorLike) => reject(e);
      failures.add(onFail);
      fn((err, v) => {
        failures.delete(onFail);
        if (err) reject(err);
        else resolve(v as T);
      });
    });
  try {
    await step<void>((cb) => conn.connect((e) => cb(e)));
    if (relay.user) await step<void>((cb) => conn.login({ user: relay.user!, pass: relay.password ?? '' }, (e) => cb(e)));
    const info = await step<SMTPConnection.SentMessageInfo>((cb) =>
      conn.send({ from: sender ?? '', to: recipients, size, use8BitMime: true }, content, (e, i) => cb(e, i)),
    );
    const rejected = (info.rejectedErrors ?? []).map((e) => ({ recipient: String((e as SmtpErrorLike).recipient), permanent: (e.responseCode ?? 450) >= 500, reply: replyOf(e) }));
    return { accepted: info.accepted.map(String), rejected, response: info.response };
  } catch (e) {
    const err = e as SmtpErrorLike;
    // Every recipient refused: answer per recipient, as when only some are.
    if (err.rejectedErrors?.length) {
      return {
        accepted: [],
        rejected: err.rejectedErrors.map((r) => ({ recipient: String(r.recipient), permanent: (r.responseCode ?? 450) >= 500, reply: replyOf(r) })),
        response: replyOf(err),
      };
    }
    const permanent = (err.responseCode ?? 0) >= 500;
    throw new MailError({ message: `relay through ${relay.host}:${relay.port} failed: ${replyOf(err)}`, temporary: !permanent, code: err.responseCode, publicMessage: replyOf(err), cause: e });
  } finally {
    conn.close();
  }
}
