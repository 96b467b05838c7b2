// An incremental parser for server-sent events (the WHATWG "text/event-stream" format), as
// llama-server streams completions: `data: {json}` lines, events ended by a blank line. Bytes
// arrive in arbitrary chunks: a chunk may end inside a line or inside a UTF-8 character, and lines
// may end in \n, \r\n or \r. Comments (`: ping`) and unknown fields are skipped. Pure.

export interface ServerSentEvent {
  /** The `event:` field ('message' when absent). */
  event: string;
  /** The `data:` lines, joined with \n. */
  data: string;
}

export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';
  /** The previous chunk ended in \r: a \n at the start of the next one belongs to it. */
  private pendingCr = false;
  private event = '';
  private data: string[] = [];
  private hasData = false;

  /** Feeds bytes (or text); returns the events completed by them. */
  push(chunk: Uint8Array | string): ServerSentEvent[] {
    let text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = false;
    this.buffer += text;
    const events: ServerSentEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.line(this.buffer.slice(start, i), events);
      if (c === 13) {
        if (i + 1 === this.buffer.length) this.pendingCr = true;
        else if (this.buffer.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  /** The stream ended: an event not ended by a blank line is dropped (as the standard says). */
  end(): void {
    this.buffer = '';
    this.data = [];
    this.hasData = false;
    this.event = '';
  }

  private line(line: string, events: ServerSentEvent[]): void {
    if (line === '') {
      if (this.hasData) events.push({ event: this.event || 'message', data: this.data.join('\n') });
      this.data = [];
      this.hasData = false;
      this.event = '';
      return;
    }
    if (line.startsWith(':')) return; // a comment (keep-alive)
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      this.data.push(value);
      this.hasData = true;
    } else if (field === 'event') {
      this.event = value;
    }
  }
}
