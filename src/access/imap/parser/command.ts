/**
 * The command parser: one framed command (see cursor.ts) in, a typed command or a BAD reason out.
 * Pure and total: any input gives a ParseResult, never an exception.
 *
 * Grammar: RFC 3501 section 9, plus ID (RFC 2971), ENABLE (RFC 5161), IDLE (RFC 2177), MOVE
 * (RFC 6851), UID EXPUNGE (RFC 4315), UNSELECT (RFC 3691), NAMESPACE (RFC 2342) and the LIST
 * selection/return options of RFC 5258 that SPECIAL-USE clients send (RFC 6154).
 */
import { Cursor, ParseError, type StreamedLiteral } from './cursor.js';
import { parseFetchItems } from './fetch-items.js';
import { dateTime, parseSearchProgram } from './search-keys.js';
import { parseSequenceSet } from './sequence.js';
import type { ImapCommand, ParseResult, StatusItem } from './types.js';

const STATUS_ITEMS = new Set<StatusItem>(['MESSAGES', 'RECENT', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'SIZE']);
const NO_ARGS = new Set(['CAPABILITY', 'NOOP', 'LOGOUT', 'STARTTLS', 'NAMESPACE', 'CHECK', 'CLOSE', 'UNSELECT', 'IDLE']);

/** Parses `buf` (a whole command without its final CRLF). `streamed` maps "{" offsets to streamed literals. */
export function parseCommand(buf: Buffer, streamed?: ReadonlyMap<number, StreamedLiteral>): ParseResult {
  const c = new Cursor(buf, streamed);
  let tag: string | null = null;
  try {
    tag = parseTag(c);
    c.sp();
    const command = parseBody(c);
    c.end();
    return { ok: true, tag, command };
  } catch (e) {
    if (e instanceof ParseError) return { ok: false, tag, text: e.message };
    // A bug in the parser must still be an answer, not a crash.
    return { ok: false, tag, text: 'could not parse the command' };
  }
}

/** tag = 1*<any ASTRING-CHAR except "+">. */
function parseTag(c: Cursor): string {
  const tag = c.atom(']');
  if (tag.includes('+')) {
    c.pos -= tag.length;
    c.fail('a tag without "+"');
  }
  return tag;
}

function parseBody(c: Cursor): ImapCommand {
  const at = c.pos;
  let name = c.keyword();
  let uid = false;
  if (name === 'UID') {
    uid = true;
    c.sp();
    name = c.keyword();
    if (!['FETCH', 'STORE', 'COPY', 'MOVE', 'SEARCH', 'EXPUNGE'].includes(name)) {
      c.pos = at;
      c.fail('FETCH, STORE, COPY, MOVE, SEARCH or EXPUNGE after UID');
    }
  }
  if (NO_ARGS.has(name)) return { name } as ImapCommand;
  switch (name) {
    case 'LOGIN': {
      c.sp();
      const user = c.astring();
      c.sp();
      return { name, user, password: c.astring() };
    }
    case 'AUTHENTICATE': {
      c.sp();
      const mechanism = c.atom().toUpperCase();
      // SASL-IR (RFC 4959): the initial response on the command line, "=" for empty.
      const initialResponse = c.eat(' ') ? c.atom('=') : null;
      return { name, mechanism, initialResponse };
    }
    case 'ID':
      c.sp();
      return { name, params: idParams(c) };
    case 'ENABLE': {
      const capabilities: string[] = [];
      do {
        c.sp();
        capabilities.push(c.keyword());
      } while (!c.done);
      return { name, capabilities };
    }
    case 'SELECT':
    case 'EXAMINE':
    case 'CREATE':
    case 'DELETE':
    case 'SUBSCRIBE':
    case 'UNSUBSCRIBE':
      c.sp();
      return { name, mailbox: c.astring() };
    case 'RENAME': {
      c.sp();
      const from = c.astring();
      c.sp();
      return { name, from, to: c.astring() };
    }
    case 'LIST':
      return list(c);
    case 'LSUB': {
      c.sp();
      const reference = c.astring();
      c.sp();
      return { name, reference, pattern: c.listMailbox() };
    }
    case 'STATUS': {
      c.sp();
      const mailbox = c.astring();
      c.sp();
      c.expect('(');
      const items: StatusItem[] = [];
      do {
        const itemAt = c.pos;
        const item = c.keyword() as StatusItem;
        if (!STATUS_ITEMS.has(item)) {
          c.pos = itemAt;
          c.fail('MESSAGES, RECENT, UIDNEXT, UIDVALIDITY, UNSEEN or SIZE');
        }
        items.push(item);
      } while (c.eat(' '));
      c.expect(')');
      return { name, mailbox, items };
    }
    case 'APPEND':
      return append(c);
    case 'EXPUNGE':
      if (!uid) return { name, uid, set: null };
      c.sp();
      return { name, uid, set: parseSequenceSet(c) };
    case 'FETCH': {
      c.sp();
      const set = parseSequenceSet(c);
      c.sp();
      return { name, uid, set, items: parseFetchItems(c) };
    }
    case 'STORE':
      return store(c, uid);
    case 'COPY':
    case 'MOVE': {
      c.sp();
      const set = parseSequenceSet(c);
      c.sp();
      return { name, uid, set, mailbox: c.astring() };
    }
    case 'SEARCH': {
      c.sp();
      let charset: string | null = null;
      const keyAt = c.pos;
      if (c.optionalAtom()?.toUpperCase() === 'CHARSET') {
        c.sp();
        charset = c.astring().toUpperCase();
        c.sp();
      } else {
        c.pos = keyAt;
      }
      return { name, uid, charset, criteria: parseSearchProgram(c) };
    }
  }
  c.pos = at;
  return c.fail('a command name');
}

/** id-params-list = "(" *(string SP nstring) ")" / nil. */
function idParams(c: Cursor): Array<[string, string | null]> | null {
  if (!c.eat('(')) {
    if (c.nstring() !== null) c.fail('a parenthesized list or NIL');
    return null;
  }
  const params: Array<[string, string | null]> = [];
  if (c.eat(')')) return params;
  do {
    const key = c.string();
    c.sp();
    params.push([key, c.nstring()]);
  } while (c.eat(' ') && params.length < 30);
  c.expect(')');
  return params;
}

/** LIST [SP "(" selection options ")"] SP mailbox SP (list-mailbox / "(" patterns ")") [SP RETURN (...)]. */
function list(c: Cursor): ImapCommand {
  c.sp();
  let selectOptions: string[] = [];
  if (c.peek() === 0x28) {
    selectOptions = optionList(c);
    c.sp();
  }
  const reference = c.astring();
  c.sp();
  const patterns: string[] = [];
  if (c.eat('(')) {
    do patterns.push(c.listMailbox());
    while (c.eat(' '));
    c.expect(')');
  } else {
    patterns.push(c.listMailbox());
  }
  let returnOptions: string[] = [];
  if (c.eat(' ')) {
    if (c.keyword() !== 'RETURN') c.fail('RETURN');
    c.sp();
    returnOptions = optionList(c);
  }
  return { name: 'LIST', reference, patterns, selectOptions, returnOptions };
}

/** "(" [atom *(SP atom)] ")", upper-cased; option parameters are not supported. */
function optionList(c: Cursor): string[] {
  c.expect('(');
  const out: string[] = [];
  if (c.eat(')')) return out;
  do out.push(c.keyword());
  while (c.eat(' '));
  c.expect(')');
  return out;
}

/** append = "APPEND" SP mailbox [SP flag-list] [SP date-time] SP literal. */
function append(c: Cursor): ImapCommand {
  c.sp();
  const mailbox = c.astring();
  c.sp();
  let flags: string[] = [];
  if (c.peek() === 0x28) {
    flags = flagList(c);
    c.sp();
  }
  let date: Date | null = null;
  if (c.peek() === 0x22) {
    date = dateTime(c);
    c.sp();
  }
  if (c.peek() !== 0x7b) c.fail('the message as a literal {size}');
  return { name: 'APPEND', mailbox, flags, date, message: c.literal() };
}

function store(c: Cursor, uid: boolean): ImapCommand {
  c.sp();
  const set = parseSequenceSet(c);
  c.sp();
  const at = c.pos;
  const item = c.atom().toUpperCase();
  const m = /^([+-]?)FLAGS(\.SILENT)?$/.exec(item);
  if (!m) {
    c.pos = at;
    c.fail('FLAGS, +FLAGS or -FLAGS (optionally .SILENT)');
  }
  c.sp();
  let flags: string[];
  if (c.peek() === 0x28) flags = flagList(c);
  else {
    flags = [flag(c)];
    while (c.eat(' ')) flags.push(flag(c));
  }
  return { name: 'STORE', uid, set, mode: m[1] === '+' ? 'add' : m[1] === '-' ? 'remove' : 'replace', silent: !!m[2], flags };
}

/** flag-list = "(" [flag *(SP flag)] ")". */
export function flagList(c: Cursor): string[] {
  c.expect('(');
  const flags: string[] = [];
  if (c.eat(')')) return flags;
  do flags.push(flag(c));
  while (c.eat(' '));
  c.expect(')');
  return flags;
}

const SYSTEM_FLAGS = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft', '\\Recent'];

/** flag = "\" atom (system flags in their canonical case) / flag-keyword (an atom). */
function flag(c: Cursor): string {
  if (c.eat('\\')) {
    const name = '\\' + c.atom();
    const canonical = SYSTEM_FLAGS.find((f) => f.toLowerCase() === name.toLowerCase());
    if (canonical === '\\Recent') c.fail('a flag other than \\Recent (only the server sets it)');
    return canonical ?? name;
  }
  return c.atom();
}
