/**
 * The dedupe policy, as a pure function the store calls inside the delivery transaction.
 *
 * - Same Message-ID and same content as a copy this recipient already got: a true duplicate
 *   (the ISP copied the message per recipient, a download was repeated): suppressed.
 * - Same Message-ID, different content: both are kept. A reused Message-ID must never lose mail.
 * - Different (or no) Message-ID, same content: the sender gave each copy its own ID, or it is a
 *   genuine resend. `contentMatch` decides: hold (to "Possible duplicates"), deliver, or off.
 */
import type { DedupeDecider, LedgerMatch } from '../store/interfaces.js';

export type ContentMatchPolicy = 'hold' | 'deliver' | 'off';

export function dedupeDecider(messageId: string | null, fingerprint: string, contentMatch: ContentMatchPolicy): DedupeDecider {
  return (matches: LedgerMatch[]) => {
    const same = matches.find((m) => messageId !== null && m.messageId === messageId && m.fingerprint === fingerprint);
    if (same) {
      return { outcome: 'suppressed', reason: `duplicate of delivery #${same.deliveryId}: same Message-ID <${messageId}> and same content` };
    }
    const reused = matches.find((m) => messageId !== null && m.messageId === messageId);
    const sameContent = matches.find((m) => m.fingerprint === fingerprint);
    if (sameContent && contentMatch !== 'off') {
      const why = `same content as delivery #${sameContent.deliveryId} but ${messageId ? `a different Message-ID <${messageId}>` : 'no Message-ID'}`;
      if (contentMatch === 'hold') return { outcome: 'held', reason: `possible duplicate: ${why}` };
      return { outcome: 'delivered', reason: `delivered (contentMatch: deliver): ${why}` };
    }
    if (reused) return { outcome: 'delivered', reason: `Message-ID <${messageId}> seen before (delivery #${reused.deliveryId}) with different content: kept both` };
    return { outcome: 'delivered', reason: 'new message' };
  };
}
