/** Public surface of the POP3 client; import from here, not from the files behind it. */
export { Pop3Client } from './client.js';
export type { Pop3ClientOptions, ListEntry, UidlEntry, RetrieveManyResult, BodyStream } from './client.js';
export { Pop3Error, type Pop3ErrorKind } from './errors.js';
