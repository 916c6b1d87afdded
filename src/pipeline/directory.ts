import type { Settings } from '../config/schema.js';
import type { Store } from '../store/interfaces.js';
import type { Directory } from './route.js';

/**
 * The routing directory over the store, for one snapshot of the settings. `memoize`: each answer
 * is asked of the store once, for a directory that serves one batch of deliveries (a collector's
 * 32 messages to one user asked the same questions 32 times, a few queries each).
 */
export function storeDirectory(store: Store, settings: Settings, options: { memoize?: boolean } = {}): Directory {
  const once = options.memoize ? memo : <A, R>(fn: (arg: A) => Promise<R>) => fn;
  return {
    domains: settings.domains,
    unknownRecipient: settings.unknownRecipient,
    ownerOf: once((address: string) => store.config.ownerOf(address)),
    userExists: once(async (name: string) => (await store.users.get(name)) !== undefined),
    list: once((name: string) => store.config.list(name)),
    fallbackUser: once(async (_: void) => {
      const users = await store.users.list();
      return (users.find((u) => u.admin) ?? users[0])?.name ?? 'postmaster';
    }),
  };
}

/** `fn` with its answers kept by argument (a rejected answer is not kept). */
function memo<A, R>(fn: (arg: A) => Promise<R>): (arg: A) => Promise<R> {
  const answers = new Map<A, Promise<R>>();
  return (arg: A) => {
    let answer = answers.get(arg);
    if (!answer) {
      answer = fn(arg);
      answers.set(arg, answer);
      answer.catch(() => answers.delete(arg));
    }
    return answer;
  };
}
