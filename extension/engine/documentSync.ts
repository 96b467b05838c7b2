// The client's half of the incremental draft documents: which (id, version) the current engine
// host process has received, so a document's text crosses once per version per process, and is
// read only then (a large open file is not copied on every keystroke). The host's half is
// documentStore.ts.
import { wellFormed } from '../common/wellFormed';
import type { ContextDocument } from './native';
import { MAX_DOCUMENT_TEXT_CHARS } from './protocol';

/** A draft document as the caller has it: `readText` is called only when the host lacks that
 *  version (so a large open file is not copied on every keystroke). */
export interface OutgoingDocument extends ContextDocument {
  readText?: () => string;
}

export class DocumentSync {
  /** Documents (id → version) whose text the current host process has received. */
  private readonly sent = new Map<string, number>();
  /** Characters of document text sent to the current host process. */
  bytesSent = 0;

  /** The documents as the host must get them: text only for versions it lacks (well-formed, and
   *  no more than the engine reads). A request that lists documents replaces the list: the host
   *  drops unlisted ones, so they are forgotten here. */
  sync(documents: readonly OutgoingDocument[]): ContextDocument[] {
    const listed = new Set(documents.map((d) => d.id));
    for (const id of this.sent.keys()) if (!listed.has(id)) this.sent.delete(id);
    return documents.map((document) => {
      const { id, version, source } = document;
      if (this.sent.get(id) === version) return { id, version, source };
      const raw = document.text ?? document.readText?.();
      if (raw === undefined) return { id, version, source };
      const text = wellFormed(raw.length > MAX_DOCUMENT_TEXT_CHARS ? raw.slice(0, MAX_DOCUMENT_TEXT_CHARS) : raw);
      this.sent.set(id, version);
      this.bytesSent += text.length;
      return { id, version, source, text };
    });
  }

  /** A new host process has received nothing. */
  reset(): void {
    this.sent.clear();
    this.bytesSent = 0;
  }
}
