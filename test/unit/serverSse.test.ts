// The server-sent-event parser (engine/server/sse.ts) over the ways bytes arrive: any chunking,
// any line ending, UTF-8 characters split between chunks, comments and multi-line data.
import * as assert from 'node:assert/strict';
import { ServerSentEvent, SseParser } from '../../extension/engine/server/sse';

function parseInChunks(bytes: Buffer, sizes: (i: number) => number): ServerSentEvent[] {
  const parser = new SseParser();
  const events: ServerSentEvent[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = Math.max(1, sizes(i));
    events.push(...parser.push(bytes.subarray(at, at + size)));
    at += size;
  }
  return events;
}

describe('server-sent events', () => {
  const stream =
    ': keep-alive ping\n\n' +
    'data: {"content":"héllo 🌍","stop":false}\n\n' +
    'event: update\r\ndata: line one\r\ndata:line two\r\n\r\n' +
    'data: {"content":"€","stop":true}\r\r' +
    'id: 7\nretry: 100\ndata\n\n' +
    'data: not ended';
  const expected: ServerSentEvent[] = [
    { event: 'message', data: '{"content":"héllo 🌍","stop":false}' },
    { event: 'update', data: 'line one\nline two' },
    { event: 'message', data: '{"content":"€","stop":true}' },
    { event: 'message', data: '' },
  ];

  it('parses the events whole', () => {
    assert.deepEqual(new SseParser().push(Buffer.from(stream, 'utf8')), expected);
  });

  it('gives the same events whatever the chunking: byte by byte, in pairs, in odd sizes', () => {
    const bytes = Buffer.from(stream, 'utf8');
    for (const sizes of [() => 1, () => 2, (i: number) => 1 + ((i * 7) % 5), (i: number) => (i % 2 ? 13 : 3)]) {
      assert.deepEqual(parseInChunks(bytes, sizes), expected);
    }
  });

  it('joins a \\r\\n split between two chunks into one line ending (no blank line in between)', () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push('data: a\r'), []);
    assert.deepEqual(parser.push('\ndata: b\r'), []);
    assert.deepEqual(parser.push('\n\r\n'), [{ event: 'message', data: 'a\nb' }]);
  });

  it('drops an event the stream ended without finishing', () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push('data: {"partial":'), []);
    parser.end();
    assert.deepEqual(parser.push('data: next\n\n'), [{ event: 'message', data: 'next' }]);
  });
});
