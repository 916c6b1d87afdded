/**
 * Reading a configuration file: YAML syntax, then the schema, then cross-references
 * (validate.ts). Every problem is reported at once, each named by its key path.
 */
import { readFile } from 'node:fs/promises';
import YAML from 'yaml';
import type { z } from 'zod';
import { UsageError } from '../errors.js';
import { suggest } from '../util/suggest.js';
import { configFileSchema, type ConfigFile } from './schema.js';

/** A configuration with problems: exit status 2, one line per problem. */
export class ConfigError extends UsageError {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}, nothing was changed:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out || '(top level)';
}

export async function loadConfigFile(file: string): Promise<{ config: ConfigFile; given: Record<string, unknown> }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  return parseConfigText(text, file);
}

export function parseConfigText(text: string, file = 'config'): { config: ConfigFile; given: Record<string, unknown> } {
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) throw new ConfigError(file, doc.errors.map((e) => `YAML: ${e.message.split('\n')[0]}`));
  return parseConfigObject(doc.toJS() ?? {}, file);
}

/**
 * Checks an already-parsed document (what the YAML holds, or what the admin pages built) against
 * the schema; every problem is named by its key path. The same check `config apply` makes.
 */
export function parseConfigObject(raw: unknown, file = 'config'): { config: ConfigFile; given: Record<string, unknown> } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(file, ['(top level): expected a mapping of keys such as hostname, domains, users']);
  const result = configFileSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(file, result.error.issues.map(describeIssue));
  return { config: result.data, given: raw as Record<string, unknown> };
}

const knownKeys = collectKeys(configFileSchema);

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys
      .map((k) => {
        const s = suggest(k, knownKeys);
        return `${where === '(top level)' ? k : `${where}.${k}`}: unknown key${s ? `; did you mean "${s}"?` : ''}`;
      })
      .join('\n  ');
  }
  if (issue.code === 'invalid_value' && 'values' in issue) {
    return `${where}: ${issue.message}`;
  }
  if (issue.code === 'invalid_union' && 'options' in issue && Array.isArray(issue.options)) {
    return `${where}: expected one of ${issue.options.map((o) => `"${String(o)}"`).join(', ')}`;
  }
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) return `${where}: required`;
  return `${where}: ${issue.message}`;
}

/** Every key name any object in the schema knows, for "did you mean". */
function collectKeys(schema: z.ZodType, out = new Set<string>()): string[] {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
  const shape = def.shape as Record<string, z.ZodType> | undefined;
  if (shape) for (const [k, v] of Object.entries(shape)) {
    out.add(k);
    collectKeys(v, out);
  }
  for (const key of ['innerType', 'element', 'in', 'out', 'schema']) {
    const inner = def[key] as z.ZodType | undefined;
    if (inner && typeof inner === 'object' && '_zod' in inner) collectKeys(inner, out);
  }
  const options = def.options as z.ZodType[] | undefined;
  if (Array.isArray(options)) for (const o of options) if (o && typeof o === 'object' && '_zod' in o) collectKeys(o, out);
  return [...out];
}
