/**
 * Response lines. Extended response codes (RFC 2449 section 8, RFC 3206) go in brackets right
 * after -ERR so clients can tell a wrong password ([AUTH]) from a busy maildrop ([IN-USE]) or a
 * passing problem ([SYS/TEMP]) and react without asking the user for a password again.
 */
export type RespCode = 'AUTH' | 'SYS/TEMP' | 'SYS/PERM' | 'IN-USE' | 'LOGIN-DELAY';

export const ok = (text: string): string => (text ? `+OK ${text}\r\n` : `+OK\r\n`);
export const err = (text: string, code?: RespCode): string => (code ? `-ERR [${code}] ${text}\r\n` : `-ERR ${text}\r\n`);
export const noSuchMessage = (): string => err('No such message');
