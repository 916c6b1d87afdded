/** Builders for test messages. */
export function message(opts: {
  from?: string;
  to?: string;
  cc?: string;
  subject?: string;
  messageId?: string | null;
  date?: string;
  body?: string;
  extraHeaders?: string[];
  eol?: '\n' | '\r\n';
}): Buffer {
  const eol = opts.eol ?? '\r\n';
  const lines = [
    ...(opts.extraHeaders ?? []),
    `From: ${opts.from ?? 'Alice <alice@remote.test>'}`,
    `To: ${opts.to ?? 'bob@example.test'}`,
    ...(opts.cc ? [`Cc: ${opts.cc}`] : []),
    `Subject: ${opts.subject ?? 'Quarterly figures'}`,
    `Date: ${opts.date ?? 'Mon, 23 Nov 2026 10:00:00 +0000'}`,
    ...(opts.messageId === null ? [] : [`Message-ID: ${opts.messageId ?? '<q1@remote.test>'}`]),
  ];
  return Buffer.from(lines.join(eol) + eol + eol + (opts.body ?? 'The figures are attached.' + eol));
}
