/** The command table: one entry per keyword, each in its own module. */
import type { Pop3Command } from '../parser.js';
import type { CommandHandler } from '../state.js';
import { apop, pass, user } from './authorization.js';
import { capa } from './capa.js';
import { list, stat, uidl } from './listing.js';
import { dele, noop, rset } from './marks.js';
import { quit } from './quit.js';
import { retr, top } from './retrieve.js';
import { auth } from './sasl.js';
import { stls } from './stls.js';

export type CommandTable = { [K in Pop3Command['kind']]: CommandHandler<Extract<Pop3Command, { kind: K }>> };

export const commands: CommandTable = {
  CAPA: capa,
  STLS: stls,
  USER: user,
  PASS: pass,
  APOP: apop,
  AUTH: auth,
  STAT: stat,
  LIST: list,
  UIDL: uidl,
  RETR: retr,
  TOP: top,
  DELE: dele,
  NOOP: noop,
  RSET: rset,
  QUIT: quit,
};
