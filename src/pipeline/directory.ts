import type { Settings } from '../config/schema.js';
import type { Store } from '../store/interfaces.js';
import type { Directory } from './route.js';

/** The routing directory over the store, for one snapshot of the settings. */
export function storeDirectory(store: Store, settings: Settings): Directory {
  return {
    domains: settings.domains,
    unknownRecipient: settings.unknownRecipient,
    ownerOf: (address) => store.config.ownerOf(address),
    userExists: async (name) => (await store.users.get(name)) !== undefined,
    list: (name) => store.config.list(name),
    fallbackUser: async () => {
      const users = await store.users.list();
      return (users.find((u) => u.admin) ?? users[0])?.name ?? 'postmaster';
    },
  };
}
