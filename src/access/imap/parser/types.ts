/**
 * What the parser produces: one IMAP command as a discriminated union on `name`. Values are already
 * decoded (strings as text, sequence sets as ranges, search programs as trees); mailbox names are as
 * the client sent them (modified UTF-7), see mailbox-name.ts for the decoding.
 */
import type { StreamedLiteral } from './cursor.js';

/** A message number or UID; '*' is the largest one in use (RFC 3501 seq-number). */
export type SeqNumber = number | '*';

/** sequence-set: ranges in the order given; a single number has start === end. */
export type SequenceSet = ReadonlyArray<{ start: SeqNumber; end: SeqNumber }>;

/** A section-spec of BODY[...] (RFC 3501 section 6.4.5). */
export interface Section {
  /** Part numbers, [] for the whole message. */
  part: number[];
  text: null | 'HEADER' | 'HEADER.FIELDS' | 'HEADER.FIELDS.NOT' | 'TEXT' | 'MIME';
  /** Field names for HEADER.FIELDS (NOT), upper-cased. */
  fields: string[];
}

export type FetchItem =
  | { kind: 'FLAGS' | 'INTERNALDATE' | 'RFC822.SIZE' | 'UID' | 'ENVELOPE' | 'BODYSTRUCTURE' | 'BODY' }
  | { kind: 'RFC822' | 'RFC822.HEADER' | 'RFC822.TEXT' }
  | {
      kind: 'BODY[]';
      peek: boolean;
      section: Section;
      /** <start.length>: octets of the section to send. */
      partial: { start: number; length: number } | null;
    };

export type SearchKey =
  | { op: 'and'; keys: SearchKey[] }
  | { op: 'or'; a: SearchKey; b: SearchKey }
  | { op: 'not'; key: SearchKey }
  | { op: 'all' }
  | { op: 'none' }
  /** A flag that must be set (`set`) or not set. */
  | { op: 'flag'; flag: string; set: boolean }
  | { op: 'seq'; set: SequenceSet }
  | { op: 'uid'; set: SequenceSet }
  /** HEADER field value, also FROM/TO/CC/BCC/SUBJECT; an empty value matches any message with the field. */
  | { op: 'header'; field: string; value: string }
  | { op: 'body' | 'text'; value: string }
  /** Dates as "YYYY-MM-DD": INTERNALDATE (BEFORE/ON/SINCE) or the Date: header (SENT*). */
  | { op: 'date'; of: 'internal' | 'sent'; cmp: 'before' | 'on' | 'since'; date: string }
  | { op: 'size'; cmp: 'larger' | 'smaller'; octets: number };

export type StatusItem = 'MESSAGES' | 'RECENT' | 'UIDNEXT' | 'UIDVALIDITY' | 'UNSEEN' | 'SIZE';

/** One union member per name, so `Extract<ImapCommand, { name: N }>` finds each command. */
type Each<N extends string, T = unknown> = { [K in N]: { name: K } & T }[N];

export type ImapCommand =
  | Each<'CAPABILITY' | 'NOOP' | 'LOGOUT' | 'STARTTLS' | 'NAMESPACE' | 'CHECK' | 'CLOSE' | 'UNSELECT' | 'IDLE'>
  | { name: 'LOGIN'; user: string; password: string }
  | { name: 'AUTHENTICATE'; mechanism: string; initialResponse: string | null }
  | { name: 'ID'; params: Array<[string, string | null]> | null }
  | { name: 'ENABLE'; capabilities: string[] }
  | { name: 'LIST'; reference: string; patterns: string[]; selectOptions: string[]; returnOptions: string[] }
  | { name: 'LSUB'; reference: string; pattern: string }
  | { name: 'STATUS'; mailbox: string; items: StatusItem[] }
  | Each<'SELECT' | 'EXAMINE', { mailbox: string }>
  | Each<'CREATE' | 'DELETE' | 'SUBSCRIBE' | 'UNSUBSCRIBE', { mailbox: string }>
  | { name: 'RENAME'; from: string; to: string }
  | { name: 'APPEND'; mailbox: string; flags: string[]; date: Date | null; message: Buffer | StreamedLiteral }
  | { name: 'EXPUNGE'; uid: boolean; set: SequenceSet | null }
  | { name: 'FETCH'; uid: boolean; set: SequenceSet; items: FetchItem[] }
  | { name: 'STORE'; uid: boolean; set: SequenceSet; mode: 'replace' | 'add' | 'remove'; silent: boolean; flags: string[] }
  | Each<'COPY' | 'MOVE', { uid: boolean; set: SequenceSet; mailbox: string }>
  | { name: 'SEARCH'; uid: boolean; charset: string | null; criteria: SearchKey };

export type CommandName = ImapCommand['name'];

/** A parsed command line: its tag and the command, or why it is BAD (with the tag when one was read). */
export type ParseResult =
  | { ok: true; tag: string; command: ImapCommand }
  | { ok: false; tag: string | null; text: string };
