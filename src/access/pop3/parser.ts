/**
 * The POP3 command parser: one line in (without its CRLF), one typed command or a reason out.
 * Pure and synchronous, so it is tested by a table (test/access/pop3/parser.test.ts).
 *
 * Keywords are case-insensitive (RFC 1939 section 3). Arguments are separated by single spaces;
 * extra spaces between arguments are tolerated because real clients send them. PASS keeps its
 * argument whole, spaces included, as RFC 1939 section 7 allows.
 */

/** A well-formed command. Message numbers are 1-based as on the wire. */
export type Pop3Command =
  | { kind: 'CAPA' }
  | { kind: 'STLS' }
  | { kind: 'USER'; name: string }
  | { kind: 'PASS'; password: string }
  | { kind: 'APOP'; name: string; digest: string }
  | { kind: 'AUTH'; mechanism: string | null; initialResponse: string | null }
  | { kind: 'STAT' }
  | { kind: 'LIST'; msg: number | null }
  | { kind: 'UIDL'; msg: number | null }
  | { kind: 'RETR'; msg: number }
  | { kind: 'TOP'; msg: number; lines: number }
  | { kind: 'DELE'; msg: number }
  | { kind: 'NOOP' }
  | { kind: 'RSET' }
  | { kind: 'QUIT' };

export type Pop3CommandKind = Pop3Command['kind'];

export type ParseResult = { ok: true; command: Pop3Command } | { ok: false; error: string };

/** RFC 2449 section 4: 255 octets with CRLF; RFC 5034 AUTH initial responses may be longer. */
export const MAX_COMMAND_LINE = 255;
export const MAX_AUTH_LINE = 8192;

const fail = (error: string): ParseResult => ({ ok: false, error });
const ok = (command: Pop3Command): ParseResult => ({ ok: true, command });

/** Decimal message number or line count: digits only, no sign, no leading "+", within range. */
function parseNumber(s: string | undefined, min: number): number | null {
  if (s === undefined || !/^[0-9]{1,9}$/.test(s)) return null;
  const n = Number(s);
  return n >= min ? n : null;
}

export function parseCommand(line: string): ParseResult {
  const space = line.indexOf(' ');
  const keyword = (space === -1 ? line : line.slice(0, space)).toUpperCase();
  const rest = space === -1 ? '' : line.slice(space + 1);
  const args = rest.split(' ').filter((a) => a !== '');
  const limit = keyword === 'AUTH' ? MAX_AUTH_LINE : MAX_COMMAND_LINE;
  if (line.length + 2 > limit) return fail('Command line too long');

  const noArgs = (command: Pop3Command): ParseResult => (args.length === 0 ? ok(command) : fail(`${keyword} takes no argument`));
  const optionalMsg = (make: (msg: number | null) => Pop3Command): ParseResult => {
    if (args.length === 0) return ok(make(null));
    const msg = parseNumber(args[0], 1);
    if (args.length > 1 || msg === null) return fail(`Usage: ${keyword} [message number]`);
    return ok(make(msg));
  };
  const requiredMsg = (make: (msg: number) => Pop3Command): ParseResult => {
    const msg = parseNumber(args[0], 1);
    if (args.length !== 1 || msg === null) return fail(`Usage: ${keyword} message-number`);
    return ok(make(msg));
  };

  switch (keyword) {
    case 'CAPA':
    case 'STLS':
    case 'STAT':
    case 'NOOP':
    case 'RSET':
    case 'QUIT':
      return noArgs({ kind: keyword });
    case 'USER':
      // A login name is one token; addresses (bob@example.test) are fine.
      return args.length === 1 ? ok({ kind: 'USER', name: args[0]! }) : fail('Usage: USER name');
    case 'PASS':
      return rest.length > 0 ? ok({ kind: 'PASS', password: rest }) : fail('Usage: PASS password');
    case 'APOP':
      return args.length === 2 && /^[0-9a-f]{32}$/i.test(args[1]!) ? ok({ kind: 'APOP', name: args[0]!, digest: args[1]!.toLowerCase() }) : fail('Usage: APOP name digest');
    case 'AUTH':
      if (args.length > 2) return fail('Usage: AUTH mechanism [initial-response]');
      return ok({ kind: 'AUTH', mechanism: args[0]?.toUpperCase() ?? null, initialResponse: args[1] ?? null });
    case 'LIST':
      return optionalMsg((msg) => ({ kind: 'LIST', msg }));
    case 'UIDL':
      return optionalMsg((msg) => ({ kind: 'UIDL', msg }));
    case 'RETR':
      return requiredMsg((msg) => ({ kind: 'RETR', msg }));
    case 'DELE':
      return requiredMsg((msg) => ({ kind: 'DELE', msg }));
    case 'TOP': {
      const msg = parseNumber(args[0], 1);
      const lines = parseNumber(args[1], 0);
      return args.length === 2 && msg !== null && lines !== null ? ok({ kind: 'TOP', msg, lines }) : fail('Usage: TOP message-number lines');
    }
    case '':
      return fail('Empty command');
    default:
      return fail('Unknown command');
  }
}
