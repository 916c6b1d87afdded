import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentFingerprint, messageIdOf } from '../../src/pipeline/fingerprint.js';
import { normalizeMessageId, parseHeaderBlock } from '../../src/pipeline/header-fields.js';
import { MessageScanner } from '../../src/pipeline/scan.js';
import { message } from '../helpers/messages.js';

function fp(raw: Buffer): string {
  const s = new MessageScanner();
  s.update(raw);
  const r = s.finish();
  return contentFingerprint(parseHeaderBlock(r.header), r.bodyHash);
}

describe('content fingerprint', () => {
  const base = fp(message({}));
  it('ignores trace headers, Message-ID, line endings and header folding', () => {
    assert.equal(fp(message({ extraHeaders: ['Received: from x by y; Mon', 'Delivered-To: a@b', 'X-Original-To: c@d', 'Return-Path: <e@f>', 'X-Spam-Score: 3'] })), base);
    assert.equal(fp(message({ messageId: '<other@id>' })), base);
    assert.equal(fp(message({ messageId: null })), base);
    assert.equal(fp(message({ eol: '\n', body: 'The figures are attached.\n' })), base);
    assert.equal(fp(message({ subject: 'Quarterly\r\n figures' })), base);
  });
  it('changes with the body or an origin header', () => {
    assert.notEqual(fp(message({ body: 'Other text\r\n' })), base);
    assert.notEqual(fp(message({ subject: 'Monthly figures' })), base);
    assert.notEqual(fp(message({ to: 'jane@example.test' })), base);
    assert.notEqual(fp(message({ date: 'Tue, 24 Nov 2026 10:00:00 +0000' })), base);
  });
  it('is stable: a known message has a known fingerprint, whatever its header order', () => {
    // Pinned: a changed algorithm would stop matching the ledger rows already written.
    const want = '1e4e7f22c14fe3fe1e3c02b2a0ef4672737fd81fb3ea4fe633ea78eb9d2c2dbe';
    assert.equal(fp(Buffer.from('From: a@b.c\r\nSubject: s\r\n\r\nhello\r\n')), want);
    assert.equal(fp(Buffer.from('Subject: s\nFrom: a@b.c\n\nhello\n\n')), want);
  });
});

describe('Message-ID normalization', () => {
  const cases: Array<[string | null, string | null]> = [
    ['<ABC@Example.COM>', 'abc@example.com'],
    ['  <abc@example.com> (comment)', 'abc@example.com'],
    ['<abc @example.com>', 'abc@example.com'],
    ['abc@example.com', 'abc@example.com'],
    ['<>', null],
    ['', null],
    [null, null],
  ];
  for (const [raw, want] of cases) it(`${JSON.stringify(raw)} → ${JSON.stringify(want)}`, () => assert.equal(normalizeMessageId(raw), want));
  it('reads the first Message-ID header', () => {
    assert.equal(messageIdOf(parseHeaderBlock(Buffer.from('Message-Id: <One@x>\nMessage-ID: <two@x>\n'))), 'one@x');
  });
});
