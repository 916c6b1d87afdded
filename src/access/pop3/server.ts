/** The POP3 listener: a ProtocolListener (src/access/shared/listener.ts) running POP3 sessions. */
import { ProtocolListener } from '../shared/listener.js';
import { runSession } from './session.js';
import type { Pop3Deps } from './state.js';

export class Pop3Listener extends ProtocolListener {
  /** `implicitTls`: certificate and key for the pop3s port; null for the plain port. */
  constructor(deps: Pop3Deps, implicitTls: { cert: Buffer; key: Buffer } | null) {
    super('POP3', (socket, tls) => runSession(socket, tls, deps), deps.log, implicitTls);
  }
}
