/**
 * The MIME structure of a stored message, as cached per blob (JSON in the store): everything
 * ENVELOPE, BODYSTRUCTURE and BODY[section] need, so FETCH never re-parses a message.
 *
 * Offsets are into the stored bytes; sizes are wire sizes (every bare LF counted as CRLF), which is
 * what the client sees and what BODYSTRUCTURE must announce.
 */

/** An address of ENVELOPE: (name adl mailbox host); a group is [null, null, name, null] ... [null x4]. */
export type EnvelopeAddress = [string | null, string | null, string | null, string | null];

/** ENVELOPE fields, raw header values (RFC 3501 7.4.2), addresses already split. */
export interface Envelope {
  date: string | null;
  subject: string | null;
  from: EnvelopeAddress[];
  sender: EnvelopeAddress[];
  replyTo: EnvelopeAddress[];
  to: EnvelopeAddress[];
  cc: EnvelopeAddress[];
  bcc: EnvelopeAddress[];
  inReplyTo: string | null;
  messageId: string | null;
}

export interface MimePart {
  headerStart: number;
  bodyStart: number;
  end: number;
  headerWire: number;
  bodyWire: number;
  /** LF count of the body, plus one for a last line without LF. */
  bodyLines: number;
  type: string;
  subtype: string;
  params: Array<[string, string]>;
  id: string | null;
  description: string | null;
  encoding: string;
  md5: string | null;
  disposition: { type: string; params: Array<[string, string]> } | null;
  language: string[] | null;
  location: string | null;
  /** True for the top of a message (the blob's root, or an embedded message/rfc822). */
  messageRoot: boolean;
  /** Only on message roots. */
  envelope?: Envelope;
  /** The header block as stored (latin1), on message roots whose header is small: HEADER and SEARCH use it without opening the blob. */
  rawHeader?: string;
  /** Multipart children. */
  children: MimePart[];
  /** For message/rfc822: the embedded message's root. */
  message?: MimePart;
}

/** Bumped when the cached JSON's shape changes, so old entries are recomputed. */
export const STRUCTURE_VERSION = 2;

export interface CachedStructure {
  v: number;
  root: MimePart;
}
