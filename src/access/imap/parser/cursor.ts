/**
 * A cursor over one framed IMAP command (RFC 3501 section 9, formal syntax): the command line, its
 * literals inline as on the wire (`{n}` CRLF then n octets), up to but without the final CRLF.
 *
 * Each method reads one production of the grammar or throws a ParseError that says what was
 * expected where; the command parser turns that into a tagged BAD. Nothing here allocates more than
 * the command itself, and nothing can loop without consuming input.
 */

/** A literal whose octets went straight to the blob store while it was read (APPEND), not kept here. */
export interface StreamedLiteral {
  readonly kind: 'streamed';
  /** Octets the client sent. */
  readonly size: number;
  /** Octets once every bare LF is sent as CRLF (what RFC822.SIZE will announce). */
  readonly wireSize: number;
  /** Makes the bytes durable in the blob store and returns the blob name; once only. */
  commit(): Promise<string>;
  /** Drops the bytes (the command failed); harmless after commit. */
  abort(): Promise<void>;
}

export class ParseError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
    this.name = 'ParseError';
  }
}

const SP = 0x20;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const CR = 0x0d;
const LF = 0x0a;

/** atom-specials: "(" ")" "{" SP CTL list-wildcards quoted-specials resp-specials. */
function isAtomChar(c: number): boolean {
  if (c <= 0x20 || c >= 0x7f) return false;
  return c !== 0x28 && c !== 0x29 && c !== 0x7b && c !== 0x25 && c !== 0x2a && c !== DQUOTE && c !== BACKSLASH && c !== 0x5d;
}

export class Cursor {
  pos = 0;

  constructor(
    readonly buf: Buffer,
    /** Literals that were streamed, by the offset of their "{". */
    private readonly streamed: ReadonlyMap<number, StreamedLiteral> = new Map(),
  ) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  peek(): number {
    return this.pos < this.buf.length ? this.buf[this.pos]! : -1;
  }

  fail(expected: string): never {
    const near = this.done ? 'end of command' : JSON.stringify(this.buf.toString('latin1', this.pos, Math.min(this.buf.length, this.pos + 12)));
    throw new ParseError(`expected ${expected} at ${near}`, this.pos);
  }

  sp(): void {
    if (this.peek() !== SP) this.fail('a space');
    this.pos++;
  }

  /** Consumes `c` if it is next. */
  eat(c: string): boolean {
    if (this.peek() === c.charCodeAt(0)) {
      this.pos++;
      return true;
    }
    return false;
  }

  expect(c: string): void {
    if (!this.eat(c)) this.fail(`"${c}"`);
  }

  end(): void {
    if (!this.done) this.fail('the end of the command');
  }

  /** 1*ATOM-CHAR; `extra` admits more characters (e.g. "]" in ASTRING-CHAR, "\\" for flags). */
  atom(extra = ''): string {
    const start = this.pos;
    while (!this.done) {
      const c = this.buf[this.pos]!;
      if (!isAtomChar(c) && !extra.includes(String.fromCharCode(c))) break;
      this.pos++;
    }
    if (this.pos === start) this.fail('an atom');
    return this.buf.toString('latin1', start, this.pos);
  }

  /** Reads an atom if the next octet can start one, else null. */
  optionalAtom(): string | null {
    return isAtomChar(this.peek()) ? this.atom() : null;
  }

  /** number = 1*DIGIT, at most 2^32-1 (RFC 3501 "number" is an unsigned 32-bit integer). */
  number(): number {
    const start = this.pos;
    while (this.peek() >= 0x30 && this.peek() <= 0x39) this.pos++;
    if (this.pos === start) this.fail('a number');
    if (this.pos - start > 10) this.fail('a number below 2^32');
    const n = Number(this.buf.toString('latin1', start, this.pos));
    if (n > 0xffffffff) this.fail('a number below 2^32');
    return n;
  }

  nzNumber(): number {
    const at = this.pos;
    const n = this.number();
    if (n === 0) {
      this.pos = at;
      this.fail('a non-zero number');
    }
    return n;
  }

  /** quoted = DQUOTE *QUOTED-CHAR DQUOTE; only \" and \\ may be escaped. Octets are UTF-8 (RFC 6855). */
  quoted(): string {
    this.expect('"');
    const parts: number[] = [];
    for (;;) {
      const c = this.peek();
      if (c === -1 || c === CR || c === LF) this.fail('the closing quote');
      this.pos++;
      if (c === DQUOTE) break;
      if (c === BACKSLASH) {
        const e = this.peek();
        if (e !== DQUOTE && e !== BACKSLASH) this.fail('\\" or \\\\ after a backslash');
        this.pos++;
        parts.push(e);
      } else {
        if (c === 0) this.fail('no NUL in a quoted string');
        parts.push(c);
      }
    }
    return Buffer.from(parts).toString('utf8');
  }

  /** literal = "{" number ["+"] "}" CRLF *CHAR8: the octets, or the streamed stand-in. */
  literal(): Buffer | StreamedLiteral {
    const start = this.pos;
    this.expect('{');
    const size = this.number();
    this.eat('+');
    this.expect('}');
    const streamed = this.streamed.get(start);
    if (this.buf[this.pos] !== CR || this.buf[this.pos + 1] !== LF) this.fail('CRLF after the literal size');
    this.pos += 2;
    if (streamed) return streamed;
    if (this.pos + size > this.buf.length) this.fail(`${size} octets of literal`);
    const data = this.buf.subarray(this.pos, this.pos + size);
    this.pos += size;
    return data;
  }

  /** string = quoted / literal (a literal that is not streamed, as text). */
  string(): string {
    if (this.peek() === DQUOTE) return this.quoted();
    if (this.peek() === 0x7b) {
      const at = this.pos;
      const lit = this.literal();
      if (!Buffer.isBuffer(lit)) {
        this.pos = at;
        this.fail('a string');
      }
      if (lit.includes(0)) this.fail('no NUL in a literal string');
      return lit.toString('utf8');
    }
    return this.fail('a quoted string or a literal');
  }

  /** astring = 1*ASTRING-CHAR / string. */
  astring(): string {
    const c = this.peek();
    if (c === DQUOTE || c === 0x7b) return this.string();
    return this.atom(']');
  }

  /** nstring = string / "NIL". */
  nstring(): string | null {
    const c = this.peek();
    if (c === DQUOTE || c === 0x7b) return this.string();
    const at = this.pos;
    if (this.atom().toUpperCase() === 'NIL') return null;
    this.pos = at;
    return this.fail('a string or NIL');
  }

  /** list-mailbox = 1*list-char / string; list-char admits "%", "*" and "]". */
  listMailbox(): string {
    const c = this.peek();
    if (c === DQUOTE || c === 0x7b) return this.string();
    return this.atom('%*]');
  }

  /** A case-insensitive keyword (an atom compared upper-cased). */
  keyword(): string {
    return this.atom().toUpperCase();
  }
}
