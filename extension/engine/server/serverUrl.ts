// Which server URLs Tandem accepts for `tandem.engine.serverUrl` (and `tandem complete --server`).
// Code leaves the machine only to a server the user named, so the URL is checked before anything
// is sent: https anywhere; plain http only to a loopback or LAN address the user typed (the
// private ranges below, or a *.local name), where no third party sits between editor and server.
// No user name or password in the URL (the API key lives in VS Code's SecretStorage), no query or
// fragment. Pure: no I/O, no DNS (a name is judged by what was typed, not what it resolves to).
import { BlockList, isIP } from 'node:net';

/** A checked server URL: where requests go, and how the server is named to the user. */
export interface ServerTarget {
  /** The URL as normalised by WHATWG URL, without a trailing slash: `${base}/completion`. */
  base: string;
  /** scheme://host:port — consent and the API key are kept per origin. */
  origin: string;
  /** The host as the user should read it (with the port when it is not the scheme's default). */
  host: string;
  /** The hostname alone (no brackets, no trailing dot). */
  hostname: string;
  secure: boolean;
}

/** The URL cannot be used; the message says why and what to do. */
export class ServerUrlError extends Error {
  readonly code = 'SERVER_URL' as const;
  constructor(message: string) {
    super(message);
    this.name = 'ServerUrlError';
  }
}

const lan = new BlockList();
lan.addSubnet('127.0.0.0', 8, 'ipv4'); // loopback
lan.addSubnet('10.0.0.0', 8, 'ipv4');
lan.addSubnet('172.16.0.0', 12, 'ipv4');
lan.addSubnet('192.168.0.0', 16, 'ipv4');
lan.addAddress('::1', 'ipv6'); // loopback
lan.addSubnet('fc00::', 7, 'ipv6'); // unique local addresses

/** A loopback or LAN address (or name) over which plain http is allowed. IPv4-mapped IPv6
 *  addresses count as their IPv4 address. */
export function isLoopbackOrLan(hostname: string): boolean {
  const name = hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  if (name === 'localhost' || name.endsWith('.localhost')) return true; // RFC 6761: always loopback
  if (name.endsWith('.local') && name.length > '.local'.length) return true; // mDNS: the local link
  const family = isIP(name);
  if (family === 4) return lan.check(name, 'ipv4');
  if (family === 6) return lan.check(name, 'ipv6');
  return false;
}

/** Checks a server URL as typed by the user; throws ServerUrlError with what to change. */
export function parseServerUrl(raw: string): ServerTarget {
  const typed = raw.trim();
  if (!typed)
    throw new ServerUrlError('No server URL is set: set tandem.engine.serverUrl to your llama-server, e.g. http://127.0.0.1:8012.');
  let url: URL;
  try {
    url = new URL(typed);
  } catch {
    throw new ServerUrlError(`${JSON.stringify(typed)} is not a URL: use the form https://host:port (or http:// on your own network).`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ServerUrlError(`${JSON.stringify(typed)}: the server URL must start with https:// (or http:// on your own network).`);
  }
  if (url.username || url.password) {
    throw new ServerUrlError(
      'The server URL must not contain a user name or password: set the API key with "Tandem: Set Server API Key" (kept in VS Code\'s secret storage).',
    );
  }
  if (url.search || url.hash)
    throw new ServerUrlError(`${JSON.stringify(typed)}: the server URL must not have a query (?…) or fragment (#…).`);
  const hostname = url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (!hostname) throw new ServerUrlError(`${JSON.stringify(typed)} names no host.`);
  const secure = url.protocol === 'https:';
  if (!secure && !isLoopbackOrLan(url.hostname)) {
    throw new ServerUrlError(
      `${url.host} is not a loopback or LAN address, so Tandem will not send your code there over plain http: use https://${url.host}${url.pathname === '/' ? '' : url.pathname}. ` +
        'Plain http is allowed only to 127.0.0.0/8, ::1, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7 and *.local names.',
    );
  }
  const base = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  return { base, origin: url.origin, host: url.host, hostname, secure };
}
