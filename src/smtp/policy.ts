/**
 * Who may send what to whom, decided at MAIL FROM and RCPT TO, with the same local-name logic as
 * routing (src/pipeline/route.ts): an address a user or list owns, else a local domain's
 * local part naming a user or list.
 *
 * - MX (`listen.smtp`): anyone may send to local recipients; any other recipient is relaying,
 *   refused with 550 5.7.1. Unknown local recipients are refused (550 5.1.1) unless
 *   `smtp.acceptUnknownRecipients` sends them to `unknownRecipient`.
 * - A members-only mailing list refuses a sender who is not a member (550 5.7.1) at RCPT, so the
 *   poster's own server tells them at once and nothing is spooled.
 * - Submission: the client must have authenticated, the envelope sender must be one of the
 *   user's addresses, and then any recipient is fine (remote ones go to the outbound queue).
 */
import type { Settings } from '../config/schema.js';
import { isLocal } from '../pipeline/route.js';
import { mayPost } from '../lists/mailing.js';
import type { Store } from '../store/interfaces.js';
import { refusal } from './replies.js';

/** The two SMTP doors. */
export type Door = 'smtp' | 'submission';

export type RecipientClass = 'local' | 'unknown-local' | 'remote';

export async function classifyRecipient(store: Store, settings: Settings, address: string): Promise<RecipientClass> {
  const a = address.toLowerCase();
  if (await store.config.ownerOf(a)) return 'local';
  if (!isLocal(a, settings.domains)) return 'remote';
  const localPart = a.slice(0, a.lastIndexOf('@'));
  if ((await store.users.get(localPart)) || (await store.config.list(localPart))) return 'local';
  return 'unknown-local';
}

/** Throws the refusal for a recipient this door does not take from this client. */
export async function checkRecipient(store: Store, settings: Settings, door: Door, user: string | undefined, address: string): Promise<RecipientClass> {
  const kind = await classifyRecipient(store, settings, address);
  if (kind === 'remote' && !(door === 'submission' && user)) {
    throw refusal(550, '5.7.1', 'Relaying denied: authenticate on the submission port to send to other domains', `relay attempt to ${address}`);
  }
  if (kind === 'unknown-local' && !settings.smtp.acceptUnknownRecipients) {
    throw refusal(550, '5.1.1', `No such user here: ${address}`, `unknown local recipient ${address}`);
  }
  return kind;
}

/** Throws unless the sender may be used: on submission, only an authenticated user's own address. */
export async function checkSender(store: Store, door: Door, user: string | undefined, address: string): Promise<void> {
  if (door === 'smtp') return;
  if (!user) throw refusal(530, '5.7.0', 'Authentication required', 'MAIL FROM before AUTH on submission');
  const record = await store.users.get(user);
  const own = record?.addresses.some((a) => a.toLowerCase() === address.toLowerCase()) ?? false;
  if (!own) throw refusal(553, '5.7.1', `Sender address <${address}> is not yours`, `user ${user} tried to send as <${address}>`);
}


/** Throws the refusal when `address` is a members-only mailing list and `sender` is no member. */
export async function checkListPost(store: Store, settings: Settings, address: string, sender: string): Promise<void> {
  const a = address.toLowerCase();
  const owner = await store.config.ownerOf(a);
  const name = owner ? (owner.kind === 'list' ? owner.name : null) : isLocal(a, settings.domains) ? a.slice(0, a.lastIndexOf('@')) : null;
  const list = name ? await store.config.list(name) : undefined;
  if (list && !(await mayPost(store, list, sender))) {
    throw refusal(550, '5.7.1', `Only members may post to the list <${list.address}>`, `non-member <${sender}> posting to members-only list ${list.name}`);
  }
}
