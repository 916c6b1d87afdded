/**
 * The declarative configuration file: its schema, defaults and types.
 *
 * This is a contract users and other parts rely on: extend it, never rename keys.
 * Unknown keys are errors (a typo must not be silently ignored).
 */
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);
const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'use lower-case letters, digits, ".", "_" or "-", starting with a letter or digit');
const email = z
  .string()
  .regex(/^[^\s@<>]+@[^\s@<>]+\.?[^\s@<>]*$/, 'not an e-mail address (expected name@domain)')
  .transform((s) => s.toLowerCase());
const domain = z
  .string()
  .regex(/^[a-z0-9.-]+$/i, 'not a domain name')
  .transform((s) => s.toLowerCase());

export const listenSchema = z.strictObject({
  address: z.string().default('127.0.0.1'),
  smtp: port.default(2525),
  submission: port.default(2587),
  pop3: port.default(2110),
  pop3s: port.default(0),
  imap: port.default(2143),
  imaps: port.default(0),
  admin: port.default(8080),
});

export const tlsSchema = z.strictObject({ cert: z.string(), key: z.string() });

export const securitySchema = z.enum(['none', 'starttls', 'tls']);

export const relaySchema = z.strictObject({
  host: z.string().min(1),
  port: port.default(587),
  security: securitySchema.default('starttls'),
  user: z.string().optional(),
  password: z.string().optional(),
});

export const duplicatesSchema = z.strictObject({
  globalDays: z.number().min(0).default(7),
  contentMatch: z.enum(['hold', 'deliver', 'off']).default('hold'),
  heldDays: z.number().min(0).default(30),
});

export const userSchema = z
  .strictObject({
    name,
    password: z.string().min(1).optional(),
    passwordHash: z.string().startsWith('$argon2', 'must be an argon2 hash ($argon2id$...)').optional(),
    addresses: z.array(email).default([]),
    admin: z.boolean().default(false),
    /** POP3 deletions go to Trash and stay this many days (0: deleted at once). */
    keepDeletedDays: z.number().int().min(0).max(3650).default(0),
  })
  .refine((u) => !(u.password && u.passwordHash), { message: 'give password or passwordHash, not both' });

export const listSchema = z.strictObject({
  name,
  address: email,
  type: z.enum(['distribution', 'mailing']).default('distribution'),
  members: z.array(z.string().min(1)).default([]),
  /** Mailing lists: only members may post (others get 550 5.7.1 at RCPT; see src/lists/README.md). */
  membersOnly: z.boolean().optional(),
  /** Mailing lists: a member's own post is not sent back to them. */
  noSelfCopy: z.boolean().optional(),
});

export const defaultEnvelopeHeaders = ['Delivered-To', 'X-Original-To', 'Envelope-To', 'X-Envelope-To'];

export const routingSchema = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('user'), target: z.string().min(1) }),
  z.strictObject({
    mode: z.literal('headers'),
    envelopeHeaders: z.array(z.string().min(1)).default(defaultEnvelopeHeaders),
    unknown: z.string().min(1).optional(),
  }),
]);

export const collectorSchema = z.strictObject({
  name,
  protocol: z.enum(['pop3', 'imap']),
  host: z.string().min(1),
  port: port.optional(),
  security: securitySchema.default('tls'),
  user: z.string().min(1),
  password: z.string().optional(),
  folder: z.string().default('INBOX'),
  intervalSeconds: z.number().int().min(10).default(300),
  enabled: z.boolean().default(true),
  routing: routingSchema,
  leaveOnServerDays: z.number().min(0).default(0),
  removeDuplicates: z.boolean().default(true),
  /** Check the ISP's TLS certificate (turn off only for a server with a self-signed one). */
  verifyCertificate: z.boolean().default(true),
  /** Seconds to wait for the ISP at each step before giving up the session. */
  timeoutSeconds: z.number().int().min(1).default(60),
});

/** How users may log in to POP3/IMAP. Loopback and TLS connections may always send passwords. */
export const loginSecuritySchema = z.strictObject({
  /** Accept USER/PASS and AUTH PLAIN on unencrypted connections from other hosts (not advised). */
  allowPlaintextWithoutTls: z.boolean().default(false),
});

/** The SMTP doors (src/smtp): MX-style receiving on `listen.smtp`, submission on `listen.submission`. */
export const smtpSchema = z.strictObject({
  /** Largest message accepted, in octets (announced with SIZE; larger ones get 552 5.3.4). */
  maxMessageBytes: z.number().int().min(1024).default(50 * 1024 * 1024),
  /**
   * RCPT TO an address in a local domain that no user or list owns: refused (550 5.1.1) by default,
   * so the sending server bounces at once; true accepts it for `unknownRecipient` (a catch-all).
   */
  acceptUnknownRecipients: z.boolean().default(false),
  /** How long a submitted message is remembered to ignore a client's silent resend of it. */
  resendWindowHours: z.number().min(0).default(24),
});

/** The outbound queue: relaying through `relay`, retrying and bouncing. */
export const outboundSchema = z.strictObject({
  /** A recipient still not accepted after this long is bounced to the sender (RFC 3464 DSN). */
  bounceAfterHours: z.number().min(0).default(96),
  /** A recipient still queued after this long gets its sender one "delayed" notice (RFC 3464); 0 = never. */
  delayWarningHours: z.number().min(0).default(4),
  /** First retry after a temporary failure; each next one waits twice as long, up to maxRetrySeconds. */
  retrySeconds: z.number().int().min(1).default(60),
  maxRetrySeconds: z.number().int().min(1).default(3600),
});

/** Settings: everything that is not a user, list or collector. */
export const settingsSchema = z.strictObject({
  hostname: z.string().min(1).default('localhost'),
  domains: z.array(domain).min(1, 'at least one local domain is needed').default(['localhost']),
  listen: listenSchema.default(listenSchema.parse({})),
  tls: tlsSchema.optional(),
  relay: relaySchema.optional(),
  duplicates: duplicatesSchema.default(duplicatesSchema.parse({})),
  unknownRecipient: z.string().min(1).default('postmaster'),
  security: loginSecuritySchema.default(loginSecuritySchema.parse({})),
  smtp: smtpSchema.default(smtpSchema.parse({})),
  outbound: outboundSchema.default(outboundSchema.parse({})),
});

export const configFileSchema = settingsSchema.extend({
  users: z.array(userSchema).optional(),
  lists: z.array(listSchema).optional(),
  collectors: z.array(collectorSchema).optional(),
});

export type Settings = z.output<typeof settingsSchema>;
export type UserConfig = z.output<typeof userSchema>;
export type ListConfig = z.output<typeof listSchema>;
export type CollectorConfig = z.output<typeof collectorSchema>;
export type RoutingConfig = z.output<typeof routingSchema>;
export type ConfigFile = z.output<typeof configFileSchema>;

export const defaultSettings: Settings = settingsSchema.parse({});

/** The port a collector uses when the file gives none: the protocol's well-known port. */
export function collectorPort(c: Pick<CollectorConfig, 'protocol' | 'security' | 'port'>): number {
  if (c.port) return c.port;
  if (c.protocol === 'pop3') return c.security === 'tls' ? 995 : 110;
  return c.security === 'tls' ? 993 : 143;
}

/**
 * Names one remote mailbox, whatever collector reads it: protocol://user@host:port[/folder].
 * The collectors' journal and the one-session-per-mailbox lock are keyed by it.
 */
export function remoteMailboxKey(c: Pick<CollectorConfig, 'protocol' | 'security' | 'port' | 'user' | 'host' | 'folder'>): string {
  return `${c.protocol}://${c.user.toLowerCase()}@${c.host.toLowerCase()}:${collectorPort(c)}${c.protocol === 'imap' ? `/${c.folder}` : ''}`;
}
