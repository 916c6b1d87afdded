/**
 * SMTP replies from the one error type, and the smtp-server subclass that sends them as written.
 *
 * smtp-server derives the enhanced status code of an error reply from its basic code (550 becomes
 * 5.1.1 "bad mailbox"), which is wrong for "relaying denied" (5.7.1) and most policy refusals. A
 * MailError knows its precise code, so the error text carries it ("5.7.1 Relaying denied") and
 * the connection's `send` is wrapped to write that code instead of the derived one.
 */
import type { Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { MailError } from '../errors.js';

/** An Error as smtp-server handler callbacks take it: `responseCode`, and the reply text. */
export interface SmtpReplyError extends Error {
  responseCode: number;
}

/** A permanent or temporary refusal: what the client sees, and what the log keeps. */
export function refusal(code: number, enhanced: string, publicMessage: string, logMessage = publicMessage): MailError {
  return new MailError({ message: logMessage, code, enhanced, publicMessage, temporary: code < 500 });
}

/** Any error as an SMTP reply; anything but a MailError is a temporary local error (451 4.3.0). */
export function toSmtpError(err: unknown): SmtpReplyError {
  const m = err instanceof MailError ? err : new MailError({ message: err instanceof Error ? err.message : String(err), cause: err });
  const e = new Error(`${m.enhanced} ${m.publicMessage}`) as SmtpReplyError;
  e.responseCode = m.code;
  return e;
}

const ENHANCED_PREFIX = /^([245]\.\d{1,3}\.\d{1,3}) ([\s\S]*)$/;

/** smtp-server whose error replies keep the enhanced status code written in their text. */
export class PostroomSmtpServer extends SMTPServer {
  override connect(socket: Socket, socketOptions?: Parameters<SMTPServer['connect']>[1]): void {
    const before = new Set(this.connections);
    super.connect(socket, socketOptions);
    for (const conn of this.connections) {
      if (before.has(conn)) continue;
      const send = conn.send.bind(conn);
      conn.send = (code, data, context) => {
        const m = code >= 400 && typeof data === 'string' ? ENHANCED_PREFIX.exec(data) : null;
        // context false: the library adds no code of its own; ours is already in the text.
        if (m) send(code, `${m[1]} ${m[2]}`, false);
        else send(code, data, context);
      };
    }
  }
}
