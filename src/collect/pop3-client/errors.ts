/**
 * The one error the POP3 client throws. Its `message` is written for the person who has to act
 * ("wrong user name or password for pop.isp.test:110 (user bob): check the collector's user and
 * password"); `kind`, `respCode` and `temporary` are for the code that decides whether to retry.
 */
import { MailError } from '../../errors.js';

/**
 * What went wrong, from the collector's point of view:
 * - `auth`: the server rejected the credentials ([AUTH] or an untagged -ERR to PASS/APOP/AUTH).
 * - `locked`: the mailbox is in use by another session ([IN-USE] or a -ERR saying "lock").
 * - `tls`: TLS could not be set up (handshake, certificate, no STLS offered).
 * - `protocol`: the server said something we cannot accept (bad syntax, -ERR to a command).
 * - `timeout`: the server did not answer within the configured time.
 * - `network`: connecting failed or the connection was lost.
 * - `refused`: the server refused service (-ERR greeting, [SYS/TEMP], [SYS/PERM], [LOGIN-DELAY]).
 */
export type Pop3ErrorKind = 'auth' | 'locked' | 'tls' | 'protocol' | 'timeout' | 'network' | 'refused';

/** Where the error happened, so the message can name it. */
export interface Pop3Place {
  /** Caller's label, shown verbatim before every message, e.g. "collector isp-bob". */
  label?: string;
  host: string;
  port: number;
  user?: string;
}

/**
 * Contract: `kind` is always set; `serverText` is the server's text without the status indicator
 * and without the response code (empty when the server said nothing); `respCode` is the RFC 2449
 * response code in upper case without brackets (e.g. `IN-USE`, `SYS/TEMP`) or undefined.
 * `temporary` is true when retrying later without changing anything may succeed.
 */
export class Pop3Error extends MailError {
  readonly kind: Pop3ErrorKind;
  readonly serverText: string;
  readonly respCode: string | undefined;

  constructor(opts: {
    kind: Pop3ErrorKind;
    message: string;
    temporary: boolean;
    serverText?: string;
    respCode?: string;
    cause?: unknown;
  }) {
    super({ message: opts.message, temporary: opts.temporary, cause: opts.cause });
    this.name = 'Pop3Error';
    this.kind = opts.kind;
    this.serverText = opts.serverText ?? '';
    this.respCode = opts.respCode;
  }
}

/** "pop.isp.test:110", or "pop.isp.test:110 (user bob)" with the user. */
export function describePlace(place: Pop3Place, withUser = false): string {
  const where = `${place.host}:${place.port}${withUser && place.user ? ` (user ${place.user})` : ''}`;
  return where;
}

function prefix(place: Pop3Place): string {
  return place.label ? `${place.label}: ` : '';
}

/** Splits "[IN-USE] mailbox locked" into code and text (RFC 2449 section 8). */
export function parseRespCode(text: string): { respCode?: string; text: string } {
  const m = /^\[([^\]\s]+)\]\s*(.*)$/s.exec(text);
  if (!m) return { text };
  return { respCode: m[1]!.toUpperCase(), text: m[2]! };
}

/**
 * Turns a -ERR answer to a login command (PASS, APOP, AUTH) into the right error. Without a
 * response code the RFC cannot tell a bad password from a locked mailbox, so the text decides
 * ("lock", "in use", "busy" mean locked: the safe reading, because it is temporary).
 */
export function loginError(place: Pop3Place, serverLine: string): Pop3Error {
  const { respCode, text } = parseRespCode(serverLine);
  const p = prefix(place);
  const said = text ? ` (server said: ${text})` : '';
  if (respCode === 'IN-USE' || (!respCode && /\block|in use|busy/i.test(text))) {
    return new Pop3Error({
      kind: 'locked', temporary: true, serverText: text, respCode,
      message: `${p}mailbox ${place.user ?? ''} on ${describePlace(place)} is locked by another session (IN-USE): another program or collector is downloading from it; stop it or wait${said}`,
    });
  }
  if (respCode === 'LOGIN-DELAY') {
    return new Pop3Error({
      kind: 'refused', temporary: true, serverText: text, respCode,
      message: `${p}${describePlace(place, true)} asks for more time between logins (LOGIN-DELAY): poll this collector less often${said}`,
    });
  }
  if (respCode === 'SYS/TEMP' || respCode === 'SYS/PERM') {
    const temporary = respCode === 'SYS/TEMP';
    return new Pop3Error({
      kind: 'refused', temporary, serverText: text, respCode,
      message: `${p}${describePlace(place, true)} refused the login because of a problem on the server (${respCode})${temporary ? ': it should pass, try again later' : ': contact the mail provider'}${said}`,
    });
  }
  return new Pop3Error({
    kind: 'auth', temporary: false, serverText: text, respCode,
    message: `${p}wrong user name or password for ${describePlace(place, true)}: check the collector's user and password${said}`,
  });
}

/** A -ERR answer to an ordinary command: the command and the server's words. */
export function commandError(place: Pop3Place, command: string, serverLine: string): Pop3Error {
  const { respCode, text } = parseRespCode(serverLine);
  const temporary = respCode !== 'SYS/PERM';
  return new Pop3Error({
    kind: respCode === 'SYS/TEMP' || respCode === 'SYS/PERM' ? 'refused' : 'protocol',
    temporary, serverText: text, respCode,
    message: `${prefix(place)}${describePlace(place, true)} refused ${command}: ${text || '(no text)'}`,
  });
}

/** Errors that are not the server's answer: timeouts, lost connections, TLS, bad syntax. */
export function localError(place: Pop3Place, kind: Exclude<Pop3ErrorKind, 'auth' | 'locked'>, detail: string, cause?: unknown): Pop3Error {
  const p = prefix(place);
  const where = describePlace(place);
  const messages: Record<typeof kind, string> = {
    timeout: `${p}${where} did not answer in time (${detail}): check that the host and port are right and the server is up, or raise the timeout`,
    network: `${p}connection to ${where} failed (${detail}): check the host, port and network`,
    tls: `${p}TLS with ${where} failed: ${detail}; set security: none or fix the certificate (or use the port that matches the security setting: 995 for tls, 110 for starttls)`,
    protocol: `${p}${where} broke the POP3 protocol (${detail}): this is a server fault; report it to the mail provider`,
    refused: `${p}${where} refused service (${detail}): try again later, or contact the mail provider if it lasts`,
  };
  return new Pop3Error({ kind, temporary: kind !== 'tls', message: messages[kind], cause });
}
