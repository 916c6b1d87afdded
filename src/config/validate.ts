/**
 * Cross-reference checks the schema cannot do: names that must exist, addresses owned twice,
 * two collectors on one ISP mailbox (one of the seed's causes of duplicates).
 */
import { suggest } from '../util/suggest.js';
import type { ConfigState } from '../store/interfaces.js';
import { remoteMailboxKey } from './schema.js';

export interface Origins {
  /** Where each user of the state came from: a path in the file, or an existing user kept. */
  user(index: number): string;
  /** Whether unknownRecipient was written in the file (the default may name nobody yet). */
  unknownRecipientGiven: boolean;
}

export function crossCheck(state: ConfigState, origins: Origins): string[] {
  const problems: string[] = [];
  const userNames = new Map<string, string>();
  const listNames = new Map<string, string>();
  const addressOwner = new Map<string, string>();

  state.users.forEach((u, i) => {
    const where = origins.user(i);
    const prev = userNames.get(u.name);
    if (prev) problems.push(`${where}.name: "${u.name}" is also ${prev}`);
    else userNames.set(u.name, where);
    u.addresses.forEach((a, j) => {
      const owner = addressOwner.get(a);
      if (owner) problems.push(`${where}.addresses[${j}]: ${a} already belongs to ${owner}`);
      else addressOwner.set(a, `user "${u.name}"`);
    });
  });
  state.lists.forEach((l, i) => {
    const where = `lists[${i}]`;
    const prev = listNames.get(l.name) ?? (userNames.has(l.name) ? `user "${l.name}"` : undefined);
    if (prev) problems.push(`${where}.name: "${l.name}" is also ${prev}`);
    else listNames.set(l.name, where);
    const owner = addressOwner.get(l.address);
    if (owner) problems.push(`${where}.address: ${l.address} already belongs to ${owner}`);
    else addressOwner.set(l.address, `list "${l.name}"`);
  });
  const names = [...userNames.keys(), ...listNames.keys()];
  const mustName = (where: string, name: string) => {
    if (userNames.has(name) || listNames.has(name)) return;
    const s = suggest(name, names);
    problems.push(`${where}: no user or list named "${name}"${s ? `; did you mean "${s}"?` : ''}`);
  };
  state.lists.forEach((l, i) =>
    l.members.forEach((m, j) => {
      if (!m.includes('@')) mustName(`lists[${i}].members[${j}]`, m);
    }),
  );
  const collectorNames = new Map<string, number>();
  const mailboxes = new Map<string, number>();
  state.collectors.forEach((c, i) => {
    const where = `collectors[${i}]`;
    const prev = collectorNames.get(c.name);
    if (prev !== undefined) problems.push(`${where}.name: "${c.name}" is also collectors[${prev}]`);
    else collectorNames.set(c.name, i);
    if (c.routing.mode === 'user') mustName(`${where}.routing.target`, c.routing.target);
    else if (c.routing.unknown) mustName(`${where}.routing.unknown`, c.routing.unknown);
    const remote = remoteMailboxKey(c);
    const same = mailboxes.get(remote);
    if (same !== undefined) {
      problems.push(`${where}: downloads the same ISP mailbox as collectors[${same}] (${remote}); two collectors on one mailbox fetch every message twice: remove one`);
    } else mailboxes.set(remote, i);
  });
  if (origins.unknownRecipientGiven) mustName('unknownRecipient', state.settings.unknownRecipient);
  return problems;
}
