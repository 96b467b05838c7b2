// The engine host's draft documents (CompletionRequest.documents). The client sends a document's
// text once per version per host process; the store keeps the latest text of each document for as
// long as a request that lists it is pending (reference-counted) or a session lists it, and fills
// it in for a session that has not seen that version yet, so the native session always gets
// complete data.
import type { ContextDocument, DocumentSource } from './native';
import { MAX_DOCUMENT_TEXT_CHARS } from './protocol';

interface StoredDocument {
  version: number;
  source: DocumentSource;
  text: string;
}

/** What one native session holds of the draft documents. */
export class SessionDocuments {
  /** Documents (id → version) the native session was given. */
  readonly given = new Map<string, number>();
  /** Ids listed by the last request that ran (the session keeps only those). */
  listed = new Set<string>();
}

export class DocumentStore {
  /** Latest text of each draft document this process received, by id. */
  private readonly texts = new Map<string, StoredDocument>();
  /** Requests received and not finished, per document id they list. */
  private readonly pendingRefs = new Map<string, number>();

  /** `sessions`: the documents of every session there is now (what they list is kept). */
  constructor(private readonly sessions: () => Iterable<SessionDocuments>) {}

  /** A request arrived: stores the text of documents that carry it and holds each listed id until
   *  release(); returns those ids. */
  receive(documents: readonly ContextDocument[] | undefined): string[] {
    if (!documents) return [];
    const ids: string[] = [];
    for (const document of documents) {
      if (document.text !== undefined) {
        // what the engine never reads is not kept (another client may send more than the cap)
        const text = document.text.length > MAX_DOCUMENT_TEXT_CHARS ? document.text.slice(0, MAX_DOCUMENT_TEXT_CHARS) : document.text;
        if (text !== document.text) document.text = text;
        this.texts.set(document.id, { version: document.version, source: document.source, text });
      }
      this.pendingRefs.set(document.id, (this.pendingRefs.get(document.id) ?? 0) + 1);
      ids.push(document.id);
    }
    return ids;
  }

  /** The request that received `ids` has finished. */
  release(ids: readonly string[]): void {
    for (const id of ids) {
      const left = (this.pendingRefs.get(id) ?? 1) - 1;
      if (left > 0) this.pendingRefs.set(id, left);
      else this.pendingRefs.delete(id);
    }
    this.prune();
  }

  /** Runs a request on a native session with its listed documents completed from the store (text
   *  only for versions the session lacks), and notes what the session then holds. `missingOf`
   *  names the documents the session reported it lacked. */
  async runOn<R>(
    session: SessionDocuments,
    listed: readonly ContextDocument[] | undefined,
    run: (documents: ContextDocument[] | undefined) => Promise<R>,
    missingOf: (result: R) => readonly string[],
  ): Promise<R> {
    const given = new Map<string, number>();
    const documents = listed?.map((document): ContextDocument => {
      const stored = this.texts.get(document.id);
      const version = stored?.version ?? document.version;
      if (session.given.get(document.id) === version) return { id: document.id, version, source: document.source };
      const text = document.text !== undefined && document.version === version ? document.text : stored?.text;
      if (text === undefined) return { id: document.id, version, source: document.source };
      given.set(document.id, version);
      return { id: document.id, version, source: document.source, text };
    });
    session.listed = new Set(listed?.map((d) => d.id) ?? []);
    let result: R;
    try {
      result = await run(documents);
    } catch (err) {
      session.given.clear(); // unknown what the session kept: send everything next time
      throw err;
    } finally {
      this.prune();
    }
    for (const id of session.given.keys()) if (!session.listed.has(id)) session.given.delete(id);
    for (const [docId, version] of given) session.given.set(docId, version);
    for (const missing of missingOf(result)) session.given.delete(missing);
    return result;
  }

  /** Ids of the documents whose text is kept (for tests). */
  ids(): string[] {
    return [...this.texts.keys()];
  }

  /** Drops texts no session lists any more and no pending request refers to. */
  private prune(): void {
    const sessions = [...this.sessions()];
    for (const id of this.texts.keys()) {
      if (this.pendingRefs.has(id) || sessions.some((session) => session.listed.has(id))) continue;
      this.texts.delete(id);
    }
  }
}
