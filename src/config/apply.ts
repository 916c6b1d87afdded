/** `postroom config apply` and `config export`: the declarative file against the store. */
import { isDeepStrictEqual } from 'node:util';
import YAML from 'yaml';
import { UsageError } from '../errors.js';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import type { ConfigState, Store } from '../store/interfaces.js';
import { loadConfigFile } from './load.js';
import { planApply } from './plan.js';
import type { ConfigFile } from './schema.js';

export interface ApplyResult {
  changes: string[];
  notes: string[];
}

/** The configuration changed between reading it and applying an edit of it. */
export class StaleConfigError extends UsageError {
  constructor() {
    super('the configuration was changed by someone else meanwhile; nothing was changed: reload and try again');
  }
}

export async function applyConfigFile(store: Store, file: string, opts: { prune?: boolean; dryRun?: boolean } = {}): Promise<ApplyResult> {
  const { config, given } = await loadConfigFile(file);
  return applyConfig(store, config, { file, prune: opts.prune ?? false, dryRun: opts.dryRun ?? false, unknownRecipientGiven: 'unknownRecipient' in given });
}

export async function applyConfig(
  store: Store,
  config: ConfigFile,
  opts: {
    file: string;
    prune: boolean;
    dryRun: boolean;
    unknownRecipientGiven: boolean;
    /**
     * The state `config` was edited from (the admin pages): when the configuration changed in
     * between, nothing is written and a StaleConfigError is thrown, so no one's change is lost.
     */
    expect?: ConfigState;
  },
): Promise<ApplyResult> {
  const passwordHashes = await resolvePasswordHashes(config, await store.config.snapshot());
  const planOpts = { ...opts, passwordHashes };
  if (opts.dryRun) {
    const plan = planApply(config, await store.config.snapshot(), planOpts);
    return { changes: plan.changes, notes: plan.notes };
  }
  let notes: string[] = [];
  const changes = await store.config.replace((current) => {
    if (opts.expect && !isDeepStrictEqual(current, opts.expect)) throw new StaleConfigError();
    const plan = planApply(config, current, planOpts);
    notes = plan.notes;
    return plan;
  });
  return { changes, notes };
}

/**
 * The hash to store for each user given a `password`: the current hash when it already matches
 * (so applying the same file twice changes nothing), a fresh one otherwise.
 */
async function resolvePasswordHashes(config: ConfigFile, current: ConfigState): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const u of config.users ?? []) {
    if (!u.password) continue;
    const existing = current.users.find((c) => c.name === u.name)?.passwordHash ?? null;
    out.set(u.name, existing && (await verifyPassword(existing, u.password)) ? existing : await hashPassword(u.password));
  }
  return out;
}

/** The current configuration as a file `config apply` accepts. Passwords and hashes are left out. */
export async function exportConfig(store: Store): Promise<string> {
  const s = await store.config.snapshot();
  const settings: Record<string, unknown> = { ...s.settings };
  if (s.settings.relay) settings.relay = omit(s.settings.relay, 'password');
  const doc = {
    ...settings,
    users: s.users.map((u) => ({ name: u.name, addresses: u.addresses, admin: u.admin, ...(u.keepDeletedDays ? { keepDeletedDays: u.keepDeletedDays } : {}) })),
    lists: s.lists,
    collectors: s.collectors.map((c) => omit(c, 'password')),
  };
  return `# Postroom configuration, exported ${new Date().toISOString()}. Passwords are not included:\n# users and collectors without one keep the password they have when this file is applied.\n${YAML.stringify(doc)}`;
}

function omit<T extends object, K extends keyof T>(obj: T, key: K): Omit<T, K> {
  const copy = { ...obj };
  delete copy[key];
  return copy;
}
