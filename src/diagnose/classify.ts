/**
 * Why one user has (or was spared) a second copy: compares a later copy with the earlier one it
 * matched and names the cause among the seed's list (../shared/seed/duplicated-messages.txt), with
 * the facts that point to it and what to change. Pure: evidence in, finding out.
 */
import type { DeliveryOutcome } from '../store/interfaces.js';
import {
  collectedByAnotherPostroom,
  collectorOf,
  type CopyEvidence,
  type DiagnoseContext,
  envelopeAddresses,
  listMark,
  mailboxOf,
  mailerOf,
  ownerOfMailbox,
  remoteIdOf,
  sameRemoteMailbox,
  sessionOf,
} from './evidence.js';

/** The causes diagnosis can name; docs/duplicates.md has a section for each. */
export const CAUSES = {
  'per-user-mailboxes-header-routing': 'one ISP mailbox per user, collected with header routing',
  'isp-copy-per-recipient': 'the ISP put a copy per recipient into one mailbox',
  'sender-own-message-ids': 'the sender gave each copy its own Message-ID',
  'download-repeated': 'a download cut off mid-session and fetched again',
  'two-collectors-one-mailbox': 'two collectors for one ISP mailbox',
  'second-instance': 'a second server collecting the same mail',
  'client-resend': 'the mail program sent the message again after a slow answer',
  'list-plus-direct': 'a copy through a list plus a direct copy',
  'same-message-two-mailboxes': 'the message was sent to two of your ISP mailboxes',
  'different-messages': 'genuinely different messages',
  unknown: 'no known cause matches',
} as const;

export type Cause = keyof typeof CAUSES;

/** Why `later` exists next to `earlier` for the same user, and what to change. */
export interface Finding {
  cause: Cause;
  /** CAUSES[cause]. */
  title: string;
  /** The later copy and what happened to it ('unknown' for .eml files). */
  copy: string;
  matched: string;
  outcome: DeliveryOutcome | 'unknown';
  /** Plain-language account: what happened, with the facts from the headers and the store. */
  why: string;
  /** What to change, or that nothing needs changing. */
  fix: string;
  /** The facts the verdict rests on, one per line. */
  facts: string[];
}

const HOUR = 3600_000;

export function classify(earlier: CopyEvidence, later: CopyEvidence, ctx: DiagnoseContext): Finding {
  const facts: string[] = [];
  const sameId = earlier.messageId !== null && earlier.messageId === later.messageId;
  const sameContent = earlier.fingerprint === later.fingerprint;
  facts.push(sameId ? `same Message-ID <${later.messageId}>` : `Message-IDs ${idText(earlier)} and ${idText(later)}`);
  facts.push(sameContent ? 'same content (body and author headers)' : 'different content');
  const src = (e: CopyEvidence) => (e.source ? `${e.source.kind} ${e.source.name}${e.source.remoteId ? ` [${e.source.remoteId}]` : ''}` : 'unknown source');
  facts.push(`${earlier.label} came from ${src(earlier)}; ${later.label} from ${src(later)}`);
  const done = (cause: Cause, why: string, fix: string): Finding => ({
    cause,
    title: CAUSES[cause],
    copy: later.label,
    matched: earlier.label,
    outcome: later.outcome ?? 'unknown',
    why: `${verdict(later)} ${why}`,
    fix,
    facts,
  });

  if (!sameContent && !sameId) {
    return done('different-messages', 'The two have different Message-IDs and different content: they are two messages, not two copies of one.', 'Nothing to change: Postroom delivers both, as it must.');
  }
  if (!sameId && sameContent) {
    const mailer = mailerOf(later);
    if (mailer) facts.push(`sent with ${mailer}`);
    return done(
      'sender-own-message-ids',
      `The copies are identical but the sending software gave each its own Message-ID${mailer ? ` (${mailer})` : ''}, so Postroom cannot be sure it is the same message: it keeps the later one where the user can see it rather than risk losing a message.`,
      `Nothing is lost: look in "Possible duplicates" and release the copy if it is wanted ("postroom duplicates release ${later.deliveryId ?? 'ID'}"). To deliver such copies to the INBOX instead set duplicates.contentMatch: deliver; ask the sender to fix their mailer if it happens often.`,
    );
  }
  const list = listMark(earlier) ?? listMark(later);
  if (!sameContent) {
    if (list) {
      facts.push(`one copy came through ${list}`);
      return done('list-plus-direct', `One copy was sent to the user directly and the other came through ${list}, which changed it (a subject tag or footer), so both were delivered.`, `Nothing is lost. To get one copy, the sender can write to the list only, or the user can leave ${list}.`);
    }
    return done('different-messages', 'The Message-ID is the same but the content differs: the sender reused a Message-ID for a different message. Postroom never drops a message on a Message-ID alone.', 'Nothing to change: both are kept on purpose.');
  }
  // Same Message-ID and same content: a true duplicate. Where did the second one come from?
  const other = collectedByAnotherPostroom(later, ctx) ?? collectedByAnotherPostroom(earlier, ctx);
  if (other) {
    facts.push(`a Received line shows it was collected from an ISP mailbox by the Postroom on ${other}`);
    return done('second-instance', `Another Postroom server (on ${other}) also collects this mail from the ISP and passed its copy on to this one.`, `Run one server per office: stop the server on ${other} or remove its collectors ("postroom doctor" there shows them).`);
  }
  if (list) {
    facts.push(`one copy came through ${list}`);
    return done('list-plus-direct', `The message reached the user directly and again through ${list}.`, 'Nothing to change: Postroom recognised the list copy and kept one.');
  }
  const [ma, mb] = [mailboxOf(earlier), mailboxOf(later)];
  if (earlier.source?.kind === 'collector' && later.source?.kind === 'collector' && ma && mb) {
    if (sameRemoteMailbox(ma, mb) && earlier.source.name !== later.source.name) {
      const where = ma === mb ? `the ISP mailbox ${ma}` : `one ISP mailbox (${ma} and ${mb} are the same login at the same provider)`;
      return done('two-collectors-one-mailbox', `Collectors "${earlier.source.name}" and "${later.source.name}" both download ${where}, so every message in it arrives twice.`, `Remove one of the two collectors ("postroom config apply" with only one of them).`);
    }
    if (ma === mb) {
      const [ra, rb] = [remoteIdOf(earlier), remoteIdOf(later)];
      const [sa, sb] = [sessionOf(earlier), sessionOf(later)];
      if (earlier.arrivedAs === later.arrivedAs) {
        facts.push(`byte-identical copies, remote ids ${ra} and ${rb}${sa && sb ? `, sessions ${sa} and ${sb}` : ''}`);
        return done(
          'download-repeated',
          `Collector "${later.source.name}" downloaded the very same message again${sa !== sb ? ' in a later session' : ''}: the server still offered it${ra !== rb ? ` under a new UIDL (${rb}, was ${ra})` : ''}, as a POP3 server does when a session is cut off before QUIT (it undeletes everything).`,
          'Nothing to change for this message. If it happens often, set leaveOnServerDays: 1 on the collector so nothing is deleted in the session that downloads it, and look at the connection to the ISP.',
        );
      }
      const env = [...new Set([...envelopeAddresses(earlier), ...envelopeAddresses(later)])];
      if (env.length > 0) facts.push(`the ISP's envelope headers name ${env.join(', ')}`);
      return done(
        'isp-copy-per-recipient',
        `The ISP put one copy of the message into the mailbox ${ma} for each recipient${env.length ? ` (${env.join(', ')})` : ''}, and collector "${later.source.name}" downloaded both.`,
        'Nothing to change while Postroom suppresses them. Make sure the collector routes by envelope headers (Delivered-To, X-Original-To) so each copy goes only to the person it was for.',
      );
    }
    const headerRouted = [collectorOf(earlier, ctx), collectorOf(later, ctx)].filter((c) => c?.routing.mode === 'headers');
    if (headerRouted.length > 0) {
      const fixes = headerRouted.map((c) => `collector "${c!.name}" (${c!.user}): routing: { mode: user, target: ${ownerOfMailbox(c!, ctx) ?? 'THE-OWNER'} }`);
      return done(
        'per-user-mailboxes-header-routing',
        `The message went to several people, and the ISP put it in each person's own mailbox (${ma} and ${mb}). ${headerRouted.map((c) => `"${c!.name}"`).join(' and ')} route${headerRouted.length === 1 ? 's' : ''} by the headers, which name everyone, so each mailbox's copy went to every recipient.`,
        `Send each personal ISP mailbox to its owner: ${fixes.join('; ')}.`,
      );
    }
    return done('same-message-two-mailboxes', `The sender wrote to two addresses of this user that are separate ISP mailboxes (${ma} and ${mb}).`, 'Nothing to change: Postroom keeps one copy.');
  }
  const submitted = (e: CopyEvidence) => e.source?.kind === 'submission' || e.source?.kind === 'smtp';
  if (submitted(earlier) && submitted(later) && earlier.source!.name === later.source!.name && Math.abs((later.at ?? 0) - (earlier.at ?? 0)) < HOUR) {
    const who = later.source!.detail?.user ? `${String(later.source!.detail.user)} at ${later.source!.name}` : later.source!.name;
    const mailer = mailerOf(later);
    if (mailer) facts.push(`sent with ${mailer}`);
    return done(
      'client-resend',
      `The mail program of ${who}${mailer ? ` (${mailer})` : ''} sent the same message twice in separate SMTP sessions: mail programs such as Outlook resend silently when the server's answer comes late.`,
      'Raise the server timeout in the mail program (Outlook: account settings, Advanced, server timeouts, to 10 minutes); check a virus scanner checking outgoing mail; for many recipients use a list.',
    );
  }
  return done('unknown', 'The copies are identical, but the stored story does not show how the second one came about.', 'Keep both copies with their full headers and look at the Received lines; "postroom diagnose --json" shows every stored fact.');
}

function idText(e: CopyEvidence): string {
  return e.messageId ? `<${e.messageId}>` : '(none)';
}

function verdict(e: CopyEvidence): string {
  switch (e.outcome) {
    case 'suppressed':
      return `The user got one copy: ${e.label} was recognised as a duplicate and not delivered.`;
    case 'held':
      return `${e.label} was put in "Possible duplicates", not the INBOX.`;
    case 'delivered':
      return `The user got two copies: ${e.label} was delivered too.`;
    default:
      return 'Two copies.';
  }
}
