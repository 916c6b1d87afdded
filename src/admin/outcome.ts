/** Turning what an edit threw into what a page or the API shows. */
import { ConfigError } from '../config/load.js';
import { UsageError } from '../errors.js';

/**
 * The problems of a refused edit, each naming its key ("users[2].addresses[0]: not an e-mail
 * address"), or null when `err` is not a refusal but a failure (then it is rethrown and logged).
 */
export function problemsOf(err: unknown): string[] | null {
  if (err instanceof ConfigError) return err.problems;
  if (err instanceof UsageError) return [err.message];
  return null;
}

/** Summary line for a successful edit. */
export function changedText(changes: string[]): string {
  return changes.length === 0 ? 'Nothing changed.' : 'Saved. The running server applies it within a second.';
}
