/** The session log tee: the parent destination gets its own level as before, the session keeps info and up, bounded. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { SessionLog } from '../../src/collect/session-log.js';

function parentAt(level: string, multi = false) {
  const written: string[] = [];
  const sink = { write: (s: string) => void written.push(s) };
  const log = multi ? pino({ level }, pino.multistream([{ level: level as pino.Level, stream: sink }])) : pino({ level }, sink);
  return { log: log.child({ service: 'collect' }), written };
}

describe('SessionLog', () => {
  for (const multi of [false, true]) {
    it(`keeps info lines the parent (level warn${multi ? ', multistream' : ''}) does not want, and passes on the rest`, () => {
      const { log, written } = parentAt('warn', multi);
      const s = new SessionLog(log);
      const child = s.logger.child({ collector: 'isp' });
      child.info({ host: 'pop.isp.example' }, 'connecting');
      child.debug('not kept at info');
      child.warn({ err: new Error('boom') }, 'it failed');
      const { lines, dropped } = s.snapshot();
      assert.deepEqual(lines.map((l) => [l.level, l.msg]), [['info', 'connecting'], ['warn', 'it failed']]);
      assert.equal(lines[0]!.fields.collector, 'isp');
      assert.equal(lines[0]!.fields.host, 'pop.isp.example');
      assert.equal(dropped, 0);
      assert.equal(written.length, 1, 'the parent got only its level');
      assert.match(written[0]!, /"msg":"it failed"/);
      assert.match(written[0]!, /"service":"collect"/);
      assert.match(written[0]!, /"collector":"isp"/);
    });
  }

  it('a silent parent writes nothing; the session still has its lines', () => {
    const { log, written } = parentAt('silent');
    const s = new SessionLog(log);
    s.logger.info('hello');
    assert.equal(written.length, 0);
    assert.equal(s.snapshot().lines.length, 1);
  });

  it('bounded: the first lines and the last ones are kept, the middle counted', () => {
    const { log } = parentAt('silent');
    const s = new SessionLog(log, 20, 5);
    for (let i = 0; i < 100; i++) s.logger.info(`line ${i}`);
    const { lines, dropped, droppedAt } = s.snapshot();
    assert.equal(lines.length, 20);
    assert.equal(dropped, 80);
    assert.equal(droppedAt, 5);
    assert.deepEqual(lines.slice(0, 6).map((l) => l.msg), ['line 0', 'line 1', 'line 2', 'line 3', 'line 4', 'line 85']);
    assert.equal(lines.at(-1)!.msg, 'line 99');
  });
});
