/**
 * FETCH items (RFC 3501 section 6.4.5 and the fetch-att / section rules of section 9), including
 * the ALL / FAST / FULL macros, sections with nested part numbers and partials <start.length>.
 */
import type { Cursor } from './cursor.js';
import type { FetchItem, Section } from './types.js';

/** Items per macro (RFC 3501 6.4.5). */
const MACROS: Record<string, FetchItem['kind'][]> = {
  ALL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'],
  FAST: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'],
  FULL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY'],
};

const SIMPLE = new Set(['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'UID', 'ENVELOPE', 'BODYSTRUCTURE', 'RFC822', 'RFC822.HEADER', 'RFC822.TEXT']);

/** The FETCH argument after the sequence set: a macro, one item, or a parenthesized list. */
export function parseFetchItems(c: Cursor): FetchItem[] {
  if (c.eat('(')) {
    const items = [fetchAtt(c)];
    while (c.eat(' ')) items.push(fetchAtt(c));
    c.expect(')');
    return items;
  }
  const at = c.pos;
  const name = word(c);
  const macro = MACROS[name];
  if (macro) return macro.map((kind) => ({ kind }) as FetchItem);
  c.pos = at;
  return [fetchAtt(c)];
}

/** Letters, digits and "." : the names of fetch attributes and section texts. */
function word(c: Cursor): string {
  const start = c.pos;
  for (;;) {
    const ch = c.peek();
    const ok = (ch >= 0x41 && ch <= 0x5a) || (ch >= 0x61 && ch <= 0x7a) || (ch >= 0x30 && ch <= 0x39) || ch === 0x2e || ch === 0x2d;
    if (!ok) break;
    c.pos++;
  }
  if (c.pos === start) c.fail('a fetch attribute');
  return c.buf.toString('latin1', start, c.pos).toUpperCase();
}

function fetchAtt(c: Cursor): FetchItem {
  const at = c.pos;
  const name = word(c);
  if (name === 'BODY' || name === 'BODY.PEEK') {
    if (c.peek() !== 0x5b) {
      if (name === 'BODY.PEEK') c.fail('"[" after BODY.PEEK');
      return { kind: 'BODY' };
    }
    const section = parseSection(c);
    const partial = c.eat('<') ? parsePartial(c) : null;
    return { kind: 'BODY[]', peek: name === 'BODY.PEEK', section, partial };
  }
  if (SIMPLE.has(name)) return { kind: name } as FetchItem;
  c.pos = at;
  return c.fail('a fetch attribute (FLAGS, UID, ENVELOPE, BODY[...], ...)');
}

function parsePartial(c: Cursor): { start: number; length: number } {
  const start = c.number();
  c.expect('.');
  const length = c.nzNumber();
  c.expect('>');
  return { start, length };
}

/** section = "[" [section-spec] "]". */
export function parseSection(c: Cursor): Section {
  c.expect('[');
  const section: Section = { part: [], text: null, fields: [] };
  if (c.eat(']')) return section;
  while (c.peek() >= 0x30 && c.peek() <= 0x39) {
    section.part.push(c.nzNumber());
    if (!c.eat('.')) break;
  }
  if (c.peek() !== 0x5d) {
    const at = c.pos;
    const text = word(c);
    if (text === 'HEADER' || text === 'TEXT' || (text === 'MIME' && section.part.length > 0)) {
      section.text = text;
    } else if (text === 'HEADER.FIELDS' || text === 'HEADER.FIELDS.NOT') {
      section.text = text;
      c.sp();
      section.fields = headerList(c);
    } else {
      c.pos = at;
      c.fail(section.part.length ? 'HEADER, HEADER.FIELDS, TEXT or MIME after the part number' : 'a part number, HEADER, HEADER.FIELDS or TEXT');
    }
  }
  c.expect(']');
  return section;
}

/** header-list = "(" header-fld-name *(SP header-fld-name) ")". */
function headerList(c: Cursor): string[] {
  c.expect('(');
  const names = [c.astring().toUpperCase()];
  while (c.eat(' ')) names.push(c.astring().toUpperCase());
  c.expect(')');
  return names;
}
