/**
 * `config apply`: from a parsed file and the current state to the next state and a readable list
 * of what changed. Pure, so it can run inside the store's transaction; password hashes are worked
 * out beforehand (hashing is slow and must not hold the write lock).
 */
import { isDeepStrictEqual } from 'node:util';
import type { ConfigState, UserRecord } from '../store/interfaces.js';
import { ConfigError } from './load.js';
import type { ConfigFile, Settings } from './schema.js';
import { crossCheck } from './validate.js';

export interface ApplyOptions {
  /** Remove users that are not in the file (their mail is kept). */
  prune: boolean;
  /** The file's name, for error messages. */
  file: string;
  /** Whether unknownRecipient was written in the file. */
  unknownRecipientGiven: boolean;
  /** Password hash to use per user that has `password` in the file (see resolvePasswordHashes). */
  passwordHashes: Map<string, string>;
}

export interface Plan {
  next: ConfigState;
  changes: string[];
  notes: string[];
}

export function planApply(file: ConfigFile, current: ConfigState, opts: ApplyOptions): Plan {
  const notes: string[] = [];
  const changes: string[] = [];
  const { users: fileUsers, lists: fileLists, collectors: fileCollectors, ...fileSettings } = file;

  const settings: Settings = { ...fileSettings };
  if (settings.relay && settings.relay.password === undefined && current.settings.relay?.host === settings.relay.host) {
    settings.relay = { ...settings.relay, password: current.settings.relay.password };
  }

  let users: UserRecord[] = current.users;
  const userOrigin: string[] = current.users.map((u) => `(existing user "${u.name}")`);
  if (fileUsers) {
    const byName = new Map(current.users.map((u) => [u.name, u]));
    users = fileUsers.map((u) => ({
      name: u.name,
      addresses: u.addresses,
      admin: u.admin,
      keepDeletedDays: u.keepDeletedDays,
      passwordHash: u.passwordHash ?? opts.passwordHashes.get(u.name) ?? byName.get(u.name)?.passwordHash ?? null,
    }));
    userOrigin.splice(0, userOrigin.length, ...fileUsers.map((_, i) => `users[${i}]`));
    const inFile = new Set(fileUsers.map((u) => u.name));
    for (const u of current.users) {
      if (inFile.has(u.name)) continue;
      if (opts.prune) continue;
      users.push(u);
      userOrigin.push(`(existing user "${u.name}")`);
      notes.push(`user ${u.name}: not in the file, kept (--prune removes users that are not in the file)`);
    }
    for (const u of users) if (u.passwordHash === null) notes.push(`user ${u.name}: has no password and cannot log in (set one with: postroom user passwd ${u.name})`);
  }

  const collectors = (fileCollectors ?? current.collectors).map((c) => {
    if (c.password !== undefined) return c;
    const old = current.collectors.find((o) => o.name === c.name);
    return old?.password !== undefined ? { ...c, password: old.password } : c;
  });
  const next: ConfigState = { settings, users, lists: fileLists ?? current.lists, collectors };

  const problems = crossCheck(next, { user: (i) => userOrigin[i] ?? `users[${i}]`, unknownRecipientGiven: opts.unknownRecipientGiven });
  if (problems.length > 0) throw new ConfigError(opts.file, problems);

  diffSettings(current.settings, settings, changes);
  diffNamed('user', current.users, users, changes, describeUserChange);
  diffNamed('list', current.lists, next.lists, changes, () => 'changed');
  diffNamed('collector', current.collectors, collectors, changes, () => 'changed');
  return { next, changes, notes };
}

function diffSettings(a: Settings, b: Settings, changes: string[]): void {
  const flatA = flatten(a);
  const flatB = flatten(b);
  for (const key of new Set([...Object.keys(flatA), ...Object.keys(flatB)])) {
    if (isDeepStrictEqual(flatA[key], flatB[key])) continue;
    const show = (v: unknown) => (v === undefined ? '(unset)' : key.endsWith('password') ? '(hidden)' : JSON.stringify(v));
    changes.push(`setting ${key}: ${show(flatA[key])} → ${show(flatB[key])}`);
  }
}

function flatten(obj: object, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) flatten(v as object, key, out);
    else if (v !== undefined) out[key] = v;
  }
  return out;
}

function diffNamed<T extends { name: string }>(kind: string, before: T[], after: T[], changes: string[], describe: (a: T, b: T) => string): void {
  const start = changes.length;
  const old = new Map(before.map((x) => [x.name, x]));
  const now = new Map(after.map((x) => [x.name, x]));
  for (const [name, x] of now) {
    const prev = old.get(name);
    if (!prev) changes.push(`${kind} ${name}: added`);
    else if (!isDeepStrictEqual(prev, x)) changes.push(`${kind} ${name}: ${describe(prev, x)}`);
  }
  for (const name of old.keys()) if (!now.has(name)) changes.push(`${kind} ${name}: removed${kind === 'user' ? ' (their mailboxes are kept)' : ''}`);
  // Order matters for collectors only (it is the order they run in); users and lists are sets.
  if (kind === 'collector' && changes.length === start && !isDeepStrictEqual([...old.keys()], [...now.keys()])) changes.push(`${kind}s: reordered`);
}

function describeUserChange(a: UserRecord, b: UserRecord): string {
  const what: string[] = [];
  if (!isDeepStrictEqual(a.addresses, b.addresses)) what.push(`addresses ${a.addresses.join(', ') || '(none)'} → ${b.addresses.join(', ') || '(none)'}`);
  if (a.admin !== b.admin) what.push(b.admin ? 'now an admin' : 'no longer an admin');
  if ((a.keepDeletedDays ?? 0) !== (b.keepDeletedDays ?? 0)) what.push(`keeps POP3-deleted mail ${a.keepDeletedDays ?? 0} → ${b.keepDeletedDays ?? 0} days`);
  if (a.passwordHash !== b.passwordHash) what.push('password changed');
  return what.join('; ');
}
