/** The command table: every command name → its handler (one file per command or small group). */
import type { Handlers } from '../state.js';
import { append } from './append.js';
import { authenticate, loginCommand, starttls } from './auth.js';
import { capability, check, enable, id, logout, namespace, noop } from './basic.js';
import { copy } from './copy.js';
import { expunge } from './expunge.js';
import { fetch } from './fetch.js';
import { idle } from './idle.js';
import { list, lsub } from './list.js';
import { create, deleteMailbox, rename, status, subscribe, unsubscribe } from './mailboxes.js';
import { search } from './search.js';
import { close, select, unselect } from './select.js';
import { store } from './store.js';

export const handlers: Handlers = {
  CAPABILITY: capability,
  NOOP: noop,
  LOGOUT: logout,
  ID: id,
  STARTTLS: starttls,
  LOGIN: loginCommand,
  AUTHENTICATE: authenticate,
  ENABLE: enable,
  NAMESPACE: namespace,
  LIST: list,
  LSUB: lsub,
  STATUS: status,
  SELECT: select,
  EXAMINE: select,
  CREATE: create,
  DELETE: deleteMailbox,
  RENAME: rename,
  SUBSCRIBE: subscribe,
  UNSUBSCRIBE: unsubscribe,
  APPEND: append,
  IDLE: idle,
  CHECK: check,
  CLOSE: close,
  UNSELECT: unselect,
  EXPUNGE: expunge,
  FETCH: fetch,
  STORE: store,
  COPY: copy,
  MOVE: copy,
  SEARCH: search,
};
