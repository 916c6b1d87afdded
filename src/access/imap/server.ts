/** The IMAP listener: a ProtocolListener (src/access/shared/listener.ts) running IMAP sessions. */
import { ProtocolListener } from '../shared/listener.js';
import { runSession } from './session.js';
import type { ImapDeps } from './state.js';

export class ImapListener extends ProtocolListener {
  /** `implicitTls`: certificate and key for the imaps port; null for the plain port. */
  constructor(deps: ImapDeps, implicitTls: { cert: Buffer; key: Buffer } | null) {
    super('IMAP', (socket, tls) => runSession(socket, tls, deps), deps.log, implicitTls);
  }
}
