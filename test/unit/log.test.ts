// The "Tandem" log: tandem.logLevel decides what is written; a channel level that hides what the
// setting asks for is pointed out once.
import * as assert from 'node:assert/strict';
import { LogLevelName, TandemLog, shouldLog } from '../../extension/ui/log';

function channel(logLevel?: number) {
  const lines: string[] = [];
  return {
    lines,
    logLevel,
    error: (m: string) => lines.push(`error ${m}`),
    warn: (m: string) => lines.push(`warn ${m}`),
    info: (m: string) => lines.push(`info ${m}`),
    debug: (m: string) => lines.push(`debug ${m}`),
  };
}

describe('status: log levels', () => {
  it('writes what the setting allows, read per line', () => {
    let level: LogLevelName = 'warn';
    const sink = channel(2);
    const log = new TandemLog(sink, () => level);
    log.error('e1');
    log.warn('w1');
    log.info('i1');
    log.debug('d1');
    level = 'debug';
    log.debug('d2');
    log.at('info')('i2');
    level = 'error';
    log.warn('w2');
    assert.deepEqual(sink.lines, ['error e1', 'warn w1', 'debug d2', 'info i2']);
  });

  it('shouldLog orders error < warn < info < debug', () => {
    assert.equal(shouldLog('info', 'warn'), true);
    assert.equal(shouldLog('info', 'debug'), false);
    assert.equal(shouldLog('error', 'error'), true);
    assert.equal(shouldLog('debug', 'debug'), true);
  });

  it('says once when the channel level hides lines the setting asks for', () => {
    const sink = channel(3); // vscode.LogLevel.Info
    const log = new TandemLog(sink, () => 'debug');
    log.debug('a');
    log.debug('b');
    assert.equal(sink.lines.filter((l) => /tandem\.logLevel is "debug"/.test(l)).length, 1);
    assert.match(sink.lines[0], /^warn .*set its level to Debug/);
    const quiet = channel(3);
    new TandemLog(quiet, () => 'info').info('x');
    assert.deepEqual(quiet.lines, ['info x'], 'no note when the levels agree');
  });

  it('works with a channel without warn/debug (plain output channel)', () => {
    const lines: string[] = [];
    const log = new TandemLog({ error: (m) => lines.push(`E ${m}`), info: (m) => lines.push(`I ${m}`) }, () => 'debug');
    log.warn('w');
    log.debug('d');
    assert.deepEqual(lines, ['I [warn] w', 'I [debug] d']);
  });
});
