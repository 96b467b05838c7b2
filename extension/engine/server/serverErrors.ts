// The ways a request to a completion server fails, each with a message a person can act on. The
// kind decides what the engine does next: an outage (unreachable, timeout, dropped, 5xx) waits
// and retries with backoff; a wrong configuration (TLS, API key, not a llama-server, a model that
// cannot fill in the middle) is reported once and kept until the settings change or the server
// answers differently; a bad single request (4xx) fails that request only.

export type ServerErrorKind =
  /** no connection: refused, unknown host, no route */
  | 'unreachable'
  /** the TLS handshake failed: the certificate is not trusted, expired, for another name… */
  | 'tls'
  /** no answer within the request's time */
  | 'timeout'
  /** the connection closed in the middle of an answer */
  | 'dropped'
  /** 401/403: the API key is missing or wrong */
  | 'auth'
  /** another HTTP error status */
  | 'http'
  /** the answer is not what llama-server sends (wrong URL, another kind of server) */
  | 'protocol'
  /** the server's model has no fill-in-the-middle tokens */
  | 'model'
  /** the user declined to send code to this host */
  | 'declined'
  /** tandem.engine.serverUrl cannot be used */
  | 'config';

export class ServerError extends Error {
  constructor(
    message: string,
    readonly kind: ServerErrorKind,
    /** The HTTP status, for 'http' and 'auth'. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ServerError';
  }

  /** The server may come back by itself: retry after a pause. */
  get transient(): boolean {
    return (
      this.kind === 'unreachable' ||
      this.kind === 'timeout' ||
      this.kind === 'dropped' ||
      (this.kind === 'http' && this.status !== undefined && this.status >= 500)
    );
  }
}

/** The request was aborted by its caller (a keystroke, Stop): not a failure. */
export class ServerAbortError extends Error {
  constructor() {
    super('The request to the server was cancelled.');
    this.name = 'AbortError';
  }
}

const TLS_MESSAGES: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'its certificate chain ends in a self-signed certificate that is not trusted here',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its certificate was issued by an authority that is not trusted here',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'its certificate was issued by an authority that is not trusted here',
  UNABLE_TO_GET_ISSUER_CERT: 'its certificate was issued by an authority that is not trusted here',
  CERT_HAS_EXPIRED: 'its certificate has expired',
  CERT_NOT_YET_VALID: 'its certificate is not valid yet (check the clocks)',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its certificate is for another host name',
  CERT_REVOKED: 'its certificate was revoked',
};

/** A network error of Node's http/https/tls modules → a ServerError naming the host. */
export function networkError(err: unknown, host: string, secure: boolean): ServerError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  const detail = err instanceof Error ? err.message : String(err);
  const tls = TLS_MESSAGES[code];
  if (tls) {
    return new ServerError(
      `The TLS connection to ${host} failed: ${tls} (${code}). Tandem does not skip certificate checks: give the server a certificate ` +
        'this machine trusts (or add its authority to the system certificates), or use http:// if the server is on your own network.',
      'tls',
    );
  }
  if (secure && (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || code === 'EPROTO' || /ssl|tls/i.test(detail))) {
    return new ServerError(
      `The TLS connection to ${host} failed (${code || detail}): is the server serving https on that port? A plain-http llama-server needs an http:// URL.`,
      'tls',
    );
  }
  switch (code) {
    case 'ECONNREFUSED':
      return new ServerError(`Cannot reach the server at ${host}: connection refused (is llama-server running?).`, 'unreachable');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ServerError(`Cannot reach the server at ${host}: the host name does not resolve.`, 'unreachable');
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
      return new ServerError(`Cannot reach the server at ${host}: no route to the host.`, 'unreachable');
    case 'ETIMEDOUT':
      return new ServerError(`Cannot reach the server at ${host}: the connection timed out.`, 'unreachable');
    case 'ECONNRESET':
    case 'EPIPE':
      return new ServerError(`The connection to ${host} was closed by the server.`, 'dropped');
    default:
      return new ServerError(`The request to ${host} failed: ${detail}`, 'unreachable');
  }
}

/** An HTTP error status → a ServerError with the server's own message when it sent one. */
export function statusError(status: number, body: string, host: string, path: string): ServerError {
  const said = serverMessage(body);
  const suffix = said ? `: ${said}` : '';
  if (status === 401 || status === 403) {
    return new ServerError(
      `The server at ${host} refused the request (${status}${suffix}): set its API key with "Tandem: Set Server API Key".`,
      'auth',
      status,
    );
  }
  if (status === 404) {
    return new ServerError(
      `The server at ${host} has no ${path} (404): is tandem.engine.serverUrl the address of a llama-server (not of another kind of server)?`,
      'protocol',
      status,
    );
  }
  if (status === 503)
    return new ServerError(`The server at ${host} is not ready (503${suffix}); it may still be loading its model.`, 'http', status);
  return new ServerError(`The server at ${host} answered ${path} with HTTP ${status}${suffix}`, 'http', status);
}

/** llama-server's error body is {"error": {"code", "message", "type"}}; others send text. */
function serverMessage(body: string): string {
  const text = body.trim();
  if (!text) return '';
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const message = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? parsed.message);
    if (typeof message === 'string') return message.slice(0, 300);
  } catch {
    // not JSON
  }
  return text.slice(0, 200);
}
