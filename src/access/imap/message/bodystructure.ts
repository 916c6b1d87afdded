/**
 * BODY and BODYSTRUCTURE (RFC 3501 section 7.4.2, body in section 9): the non-extensible form for
 * BODY, and with extension data (md5/params, disposition, language, location) for BODYSTRUCTURE.
 */
import { list, nstr, str } from '../wire.js';
import { formatEnvelope } from './envelope.js';
import type { MimePart } from './structure-types.js';

const params = (p: Array<[string, string]>) => list(p.flatMap(([k, v]) => [str(k), str(v)]), true);

export function formatBodyStructure(part: MimePart, extensible: boolean): string {
  const ext = (first: string) => {
    const disposition = part.disposition ? list([str(part.disposition.type), params(part.disposition.params)]) : 'NIL';
    const language = part.language ? list(part.language.map(str), true) : 'NIL';
    return [first, disposition, language, nstr(part.location)];
  };
  // A message root that is not multipart is seen as its own single body part.
  if (part.children.length > 0) {
    const items = [part.children.map((c) => formatBodyStructure(c, extensible)).join(''), str(part.subtype)];
    if (extensible) items.push(...ext(params(part.params)));
    return list(items);
  }
  if (part.type === 'multipart') {
    // A multipart with no parts cannot be written as one: describe it as an empty text part.
    return list([str('text'), str('plain'), params([['charset', 'us-ascii']]), 'NIL', 'NIL', str('7bit'), String(part.bodyWire), String(part.bodyLines)]);
  }
  const items = [str(part.type), str(part.subtype), params(part.params), nstr(part.id), nstr(part.description), str(part.encoding), String(part.bodyWire)];
  if (part.type === 'message' && part.subtype === 'rfc822' && part.message) {
    items.push(formatEnvelope(part.message.envelope!), formatBodyStructure(part.message, extensible), String(part.bodyLines));
  } else if (part.type === 'text') {
    items.push(String(part.bodyLines));
  }
  if (extensible) items.push(...ext(nstr(part.md5)));
  return list(items);
}
