/**
 * Editing the configuration one change at a time (the admin pages, the JSON API, `postroom list`):
 * read the snapshot, turn it into the document `config apply` reads, change that, and apply it
 * through the same schema check (parseConfigObject), cross-checks and plan (applyConfig) as a YAML
 * file. So an edit's error names the same key path `config apply` would, and the running server
 * picks the change up through its usual reload. An edit made from a stale snapshot is refused,
 * never merged.
 */
import type { z } from 'zod';
import { UsageError } from '../errors.js';
import type { ConfigState, Store } from '../store/interfaces.js';
import { applyConfig, type ApplyResult } from './apply.js';
import { ConfigError, parseConfigObject } from './load.js';
import type { collectorSchema, configFileSchema, listSchema, settingsSchema, userSchema } from './schema.js';

export type UserInput = z.input<typeof userSchema>;
export type CollectorInput = z.input<typeof collectorSchema>;
export type SettingsInput = z.input<typeof settingsSchema>;
export type ListInput = z.input<typeof listSchema>;

/** The whole configuration as a file would write it, every list present: what an edit changes. */
export type ConfigDocument = z.input<typeof configFileSchema> & { users: UserInput[]; lists: ListInput[]; collectors: CollectorInput[] };

/** What the problems of an edit are called in messages ("the change: 1 problem, nothing was changed"): an edit comes from the admin's forms, the API or the CLI. */
const SOURCE = 'the change';

/** The snapshot as a document: users keep their hashes, collectors and the relay their passwords. */
export function documentOf(s: ConfigState): ConfigDocument {
  const { tls, relay, ...settings } = s.settings;
  return {
    ...structuredClone(settings),
    ...(tls ? { tls: { ...tls } } : {}),
    ...(relay ? { relay: { ...relay } } : {}),
    users: s.users.map((u) => ({
      name: u.name,
      addresses: [...u.addresses],
      admin: u.admin,
      ...(u.keepDeletedDays ? { keepDeletedDays: u.keepDeletedDays } : {}),
      ...(u.passwordHash ? { passwordHash: u.passwordHash } : {}),
    })),
    lists: structuredClone(s.lists),
    collectors: structuredClone(s.collectors),
  };
}

/** What a change says about itself: whether it set `unknownRecipient` (then it must name someone). */
export interface EditOptions {
  unknownRecipientGiven?: boolean;
}

/**
 * Applies `change` to the current configuration. Throws ConfigError (problems named by key path),
 * StaleConfigError (changed meanwhile) or UsageError (what `change` itself refuses).
 */
export async function editConfig(store: Store, change: (doc: ConfigDocument) => EditOptions | void): Promise<ApplyResult> {
  const snapshot = await store.config.snapshot();
  const doc = documentOf(snapshot);
  const opts = change(doc) ?? {};
  if (!doc.users.some((u) => u.admin)) throw new ConfigError(SOURCE, ['users: at least one user must stay an admin, or no one can open the admin pages']);
  const { config } = parseConfigObject(doc, SOURCE);
  // prune: the document lists every user, so one missing from it was removed on purpose.
  return applyConfig(store, config, { file: SOURCE, prune: true, dryRun: false, unknownRecipientGiven: opts.unknownRecipientGiven ?? false, expect: snapshot });
}

const userIndex = (doc: ConfigDocument, name: string): number => {
  const i = doc.users.findIndex((u) => u.name === name);
  if (i < 0) throw new UsageError(`no user named "${name}"`);
  return i;
};

/** Adds a user; `password` is hashed by the apply step (argon2id). */
export function addUser(store: Store, user: { name: string; addresses: string[]; admin: boolean; password: string }): Promise<ApplyResult> {
  return editConfig(store, (doc) => {
    if (doc.users.some((u) => u.name === user.name)) throw new UsageError(`user "${user.name}" already exists`);
    doc.users.push({ name: user.name, addresses: user.addresses, admin: user.admin, ...(user.password ? { password: user.password } : {}) });
  });
}

/** Changes a user's addresses and admin flag, and the password when one is given. */
export function updateUser(store: Store, name: string, change: { addresses: string[]; admin: boolean; password?: string }): Promise<ApplyResult> {
  return editConfig(store, (doc) => {
    const i = userIndex(doc, name);
    const u = doc.users[i]!;
    // Settings the form does not show (keepDeletedDays) stay as they are.
    const { password: _p, passwordHash: _h, ...kept } = u;
    doc.users[i] = { ...kept, name, addresses: change.addresses, admin: change.admin, ...(change.password ? { password: change.password } : u.passwordHash ? { passwordHash: u.passwordHash } : {}) };
  });
}

export function setUserPassword(store: Store, name: string, password: string): Promise<ApplyResult> {
  return editConfig(store, (doc) => {
    const i = userIndex(doc, name);
    const { passwordHash: _old, ...rest } = doc.users[i]!;
    doc.users[i] = { ...rest, password };
  });
}

/** Removes a user's login and addresses; their mailboxes are kept (see UserStore.remove). */
export function removeUser(store: Store, name: string): Promise<ApplyResult> {
  return editConfig(store, (doc) => {
    doc.users.splice(userIndex(doc, name), 1);
  });
}

/**
 * Adds a collector (`originalName` null) or replaces one in place (it keeps its position, which is
 * the order collectors run in). A collector given without a password keeps the one it had.
 */
export function saveCollector(store: Store, originalName: string | null, collector: CollectorInput): Promise<ApplyResult> {
  return editConfig(store, (doc) => {
    putNamed(doc.collectors, 'collector', originalName, collector, (old) => (collector.password === undefined && old.password !== undefined ? { ...collector, password: old.password } : collector));
  });
}

export function removeCollector(store: Store, name: string): Promise<ApplyResult> {
  return editConfig(store, (doc) => {
    doc.collectors.splice(namedIndex(doc.collectors, 'collector', name), 1);
  });
}

/** Adds a list (`originalName` null) or replaces one, renaming it when `list.name` differs. */
export function saveList(store: Store, originalName: string | null, list: ListInput): Promise<ApplyResult> {
  return editConfig(store, (doc) => {
    putNamed(doc.lists, 'list', originalName, list, () => list);
  });
}

/** Changes the given fields of a list (the API's PATCH); the others stay as they are. */
export function patchList(store: Store, name: string, change: Partial<ListInput>): Promise<ApplyResult> {
  return editConfig(store, (doc) => {
    const merged = { ...doc.lists[namedIndex(doc.lists, 'list', name)]!, ...change };
    putNamed(doc.lists, 'list', name, merged, () => merged);
  });
}

/** Removes a list; the cross-checks refuse it while a list or collector still names it. */
export function removeList(store: Store, name: string): Promise<ApplyResult> {
  return editConfig(store, (doc) => {
    doc.lists.splice(namedIndex(doc.lists, 'list', name), 1);
  });
}

function namedIndex(items: Array<{ name: string }>, kind: string, name: string): number {
  const i = items.findIndex((x) => x.name === name);
  if (i < 0) throw new UsageError(`no ${kind} named "${name}"`);
  return i;
}

/** Appends `item` (originalName null) or replaces the one named originalName in place by `replace(old)`. */
function putNamed<T extends { name: string }>(items: T[], kind: string, originalName: string | null, item: T, replace: (old: T) => T): void {
  const taken = () => {
    if (items.some((x) => x.name === item.name)) throw new UsageError(`${kind} "${item.name}" already exists`);
  };
  if (originalName === null) {
    taken();
    items.push(item);
    return;
  }
  const i = namedIndex(items, kind, originalName);
  if (item.name !== originalName) taken();
  items[i] = replace(items[i]!);
}

/** Changes settings (hostname, domains, listeners, duplicates...); users and collectors stay as they are. */
export function updateSettings(store: Store, change: (doc: ConfigDocument) => void): Promise<ApplyResult> {
  return editConfig(store, (doc) => {
    const before = doc.unknownRecipient;
    change(doc);
    // The default "postmaster" may name nobody yet; a value someone chose must name someone.
    return { unknownRecipientGiven: doc.unknownRecipient !== before };
  });
}
