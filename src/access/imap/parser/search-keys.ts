/**
 * SEARCH criteria (RFC 3501 section 6.4.4 and search-key in section 9): every key of the RFC,
 * parsed into a tree. Several keys in a row (or in parentheses) mean AND.
 */
import type { Cursor } from './cursor.js';
import { parseSequenceSet, startsSequenceSet } from './sequence.js';
import type { SearchKey } from './types.js';

const FLAG_KEYS: Record<string, { flag: string; set: boolean }> = {
  ANSWERED: { flag: '\\Answered', set: true },
  DELETED: { flag: '\\Deleted', set: true },
  DRAFT: { flag: '\\Draft', set: true },
  FLAGGED: { flag: '\\Flagged', set: true },
  SEEN: { flag: '\\Seen', set: true },
  UNANSWERED: { flag: '\\Answered', set: false },
  UNDELETED: { flag: '\\Deleted', set: false },
  UNDRAFT: { flag: '\\Draft', set: false },
  UNFLAGGED: { flag: '\\Flagged', set: false },
  UNSEEN: { flag: '\\Seen', set: false },
};

const HEADER_KEYS: Record<string, string> = { BCC: 'BCC', CC: 'CC', FROM: 'FROM', SUBJECT: 'SUBJECT', TO: 'TO' };

const DATE_KEYS: Record<string, { of: 'internal' | 'sent'; cmp: 'before' | 'on' | 'since' }> = {
  BEFORE: { of: 'internal', cmp: 'before' },
  ON: { of: 'internal', cmp: 'on' },
  SINCE: { of: 'internal', cmp: 'since' },
  SENTBEFORE: { of: 'sent', cmp: 'before' },
  SENTON: { of: 'sent', cmp: 'on' },
  SENTSINCE: { of: 'sent', cmp: 'since' },
};

/** Nesting limit for "(" and NOT/OR, so a hostile line cannot exhaust the stack. */
const MAX_DEPTH = 64;

/** 1*(SP search-key) after SEARCH [CHARSET x]: the keys, ANDed. */
export function parseSearchProgram(c: Cursor): SearchKey {
  const keys = [searchKey(c, 0)];
  while (c.eat(' ')) keys.push(searchKey(c, 0));
  c.end();
  return keys.length === 1 ? keys[0]! : { op: 'and', keys };
}

function searchKey(c: Cursor, depth: number): SearchKey {
  if (depth > MAX_DEPTH) c.fail('less deeply nested search keys');
  if (c.eat('(')) {
    const keys = [searchKey(c, depth + 1)];
    while (c.eat(' ')) keys.push(searchKey(c, depth + 1));
    c.expect(')');
    return keys.length === 1 ? keys[0]! : { op: 'and', keys };
  }
  if (startsSequenceSet(c)) return { op: 'seq', set: parseSequenceSet(c) };
  const at = c.pos;
  const name = c.keyword();
  const flag = FLAG_KEYS[name];
  if (flag) return { op: 'flag', ...flag };
  const header = HEADER_KEYS[name];
  if (header) {
    c.sp();
    return { op: 'header', field: header, value: c.astring() };
  }
  const date = DATE_KEYS[name];
  if (date) {
    c.sp();
    return { op: 'date', ...date, date: searchDate(c) };
  }
  switch (name) {
    case 'ALL':
    case 'OLD': // no \Recent: every message is old (RFC 9051 dropped \Recent)
      return { op: 'all' };
    case 'NEW':
    case 'RECENT':
      return { op: 'none' };
    case 'KEYWORD':
    case 'UNKEYWORD':
      c.sp();
      return { op: 'flag', flag: c.atom(), set: name === 'KEYWORD' };
    case 'BODY':
    case 'TEXT':
      c.sp();
      return { op: name === 'BODY' ? 'body' : 'text', value: c.astring() };
    case 'HEADER': {
      c.sp();
      const field = c.astring().toUpperCase();
      c.sp();
      return { op: 'header', field, value: c.astring() };
    }
    case 'LARGER':
    case 'SMALLER':
      c.sp();
      return { op: 'size', cmp: name === 'LARGER' ? 'larger' : 'smaller', octets: c.number() };
    case 'NOT':
      c.sp();
      return { op: 'not', key: searchKey(c, depth + 1) };
    case 'OR': {
      c.sp();
      const a = searchKey(c, depth + 1);
      c.sp();
      return { op: 'or', a, b: searchKey(c, depth + 1) };
    }
    case 'UID':
      c.sp();
      return { op: 'uid', set: parseSequenceSet(c) };
  }
  c.pos = at;
  return c.fail('a search key (ALL, UID, FROM, SINCE, ...)');
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/** date = date-text / DQUOTE date-text DQUOTE; date-text = 1*2DIGIT "-" Mon "-" 4DIGIT. As YYYY-MM-DD. */
export function searchDate(c: Cursor): string {
  const quoted = c.eat('"');
  const at = c.pos;
  const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})/.exec(c.buf.toString('latin1', c.pos, c.pos + 11));
  const month = m ? MONTHS.indexOf(m[2]!.toUpperCase()) : -1;
  if (!m || month < 0 || Number(m[1]) < 1 || Number(m[1]) > 31) c.fail('a date like 1-Feb-2026');
  c.pos = at + m[0].length;
  if (quoted) c.expect('"');
  return `${m[3]}-${String(month + 1).padStart(2, '0')}-${m[1]!.padStart(2, '0')}`;
}

/** date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE (APPEND). */
export function dateTime(c: Cursor): Date {
  const text = c.quoted();
  const m = /^([ \d]\d)-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$/.exec(text);
  const month = m ? MONTHS.indexOf(m[2]!.toUpperCase()) : -1;
  if (!m || month < 0) return c.fail('a date-time like "01-Feb-2026 10:00:00 +0000"');
  const offsetMin = (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9]));
  const utc = Date.UTC(Number(m[3]), month, Number(m[1]!.trim()), Number(m[4]), Number(m[5]), Number(m[6])) - offsetMin * 60_000;
  const d = new Date(utc);
  if (Number.isNaN(d.getTime())) return c.fail('a valid date-time');
  return d;
}
