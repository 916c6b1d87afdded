/**
 * Sequence sets (RFC 3501 section 9: sequence-set, seq-range, seq-number), and resolving one
 * against the numbers in use.
 */
import type { Cursor } from './cursor.js';
import type { SeqNumber, SequenceSet } from './types.js';

export function parseSequenceSet(c: Cursor): SequenceSet {
  const out: Array<{ start: SeqNumber; end: SeqNumber }> = [];
  do {
    const start = seqNumber(c);
    const end = c.eat(':') ? seqNumber(c) : start;
    out.push({ start, end });
  } while (c.eat(','));
  return out;
}

function seqNumber(c: Cursor): SeqNumber {
  if (c.eat('*')) return '*';
  return c.nzNumber();
}

/** True when the next octet can start a sequence set (a digit or "*"), for SEARCH's bare set key. */
export function startsSequenceSet(c: Cursor): boolean {
  const p = c.peek();
  return p === 0x2a || (p >= 0x31 && p <= 0x39);
}

/**
 * Whether `n` is in `set`, where "*" stands for `max` (RFC 3501: a range "x:y" includes the numbers
 * between them whichever is larger, and "*" is the largest number in use, even in an empty mailbox).
 */
export function inSequenceSet(set: SequenceSet, n: number, max: number): boolean {
  for (const r of set) {
    const a = r.start === '*' ? max : r.start;
    const b = r.end === '*' ? max : r.end;
    if (n >= Math.min(a, b) && n <= Math.max(a, b)) return true;
  }
  return false;
}

/** Writes a set of UIDs compactly ("1:3,7"), for COPYUID and SEARCH-like answers. */
export function formatSequenceSet(numbers: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < numbers.length) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === numbers[j]! + 1) j++;
    parts.push(i === j ? `${numbers[i]}` : `${numbers[i]}:${numbers[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
