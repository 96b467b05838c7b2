// The server URL rules (engine/server/serverUrl.ts): https anywhere, plain http only to loopback and
// LAN addresses the user typed, no credentials, query or fragment in the URL.
import * as assert from 'node:assert/strict';
import { ServerUrlError, isLoopbackOrLan, parseServerUrl } from '../../extension/engine/server/serverUrl';

describe('server URL rules', () => {
  it('accepts https anywhere, keeping a base path for a reverse proxy', () => {
    const t = parseServerUrl('https://gpu-box.example.com:8443/llama/');
    assert.equal(t.base, 'https://gpu-box.example.com:8443/llama');
    assert.equal(t.origin, 'https://gpu-box.example.com:8443');
    assert.equal(t.host, 'gpu-box.example.com:8443');
    assert.equal(t.secure, true);
    assert.equal(parseServerUrl('  https://203.0.113.7  ').base, 'https://203.0.113.7');
  });

  it('accepts plain http to loopback and LAN addresses', () => {
    for (const url of [
      'http://127.0.0.1:8012',
      'http://127.200.1.1',
      'http://localhost:8012',
      'http://[::1]:8012',
      'http://10.1.2.3:8012',
      'http://172.16.0.1',
      'http://172.31.255.254',
      'http://192.168.1.20:8080',
      'http://[fd12:3456::1]:8012',
      'http://[fc00::1]',
      'http://gpu-box.local:8012',
      'http://GPU-BOX.LOCAL.:8012',
      'http://[::ffff:192.168.0.9]:8012', // IPv4-mapped
      'http://127.1', // WHATWG URL normalises it to 127.0.0.1
    ]) {
      const t = parseServerUrl(url);
      assert.equal(t.secure, false, url);
    }
  });

  it('refuses plain http to anything else, saying to use https and which addresses may use http', () => {
    for (const url of [
      'http://203.0.113.7:8012',
      'http://gpu-box.example.com:8012',
      'http://172.32.0.1',
      'http://172.15.255.255',
      'http://192.169.0.1',
      'http://11.0.0.1',
      'http://[fe80::1]',
      'http://[2001:db8::1]',
      'http://[::ffff:8.8.8.8]',
      'http://local', // not a *.local name
      'http://evil.local.example.com',
    ]) {
      assert.throws(
        () => parseServerUrl(url),
        (err: unknown) => err instanceof ServerUrlError && /use https:\/\//.test(err.message) && /192\.168\.0\.0\/16/.test(err.message),
        url,
      );
    }
  });

  it('refuses credentials, queries, fragments, other schemes and non-URLs with a reason', () => {
    const cases: [string, RegExp][] = [
      ['https://user:secret@gpu-box.example.com', /API key.*Set Server API Key/],
      ['https://token@gpu-box.example.com', /user name or password/],
      ['https://gpu-box.example.com/?key=1', /query/],
      ['https://gpu-box.example.com/#x', /fragment/],
      ['ftp://gpu-box.example.com', /https:\/\//],
      ['gpu-box:8012', /https:\/\//],
      ['not a url', /not a URL/],
      ['', /No server URL/],
    ];
    for (const [url, message] of cases) {
      assert.throws(
        () => parseServerUrl(url),
        (err: unknown) => err instanceof ServerUrlError && message.test(err.message),
        url,
      );
    }
  });

  it('judges addresses by what was typed (no DNS): loopback and private ranges only', () => {
    assert.equal(isLoopbackOrLan('127.0.0.1'), true);
    assert.equal(isLoopbackOrLan('[::1]'), true);
    assert.equal(isLoopbackOrLan('printer.local'), true);
    assert.equal(isLoopbackOrLan('api.localhost'), true);
    assert.equal(isLoopbackOrLan('example.com'), false);
    assert.equal(isLoopbackOrLan('100.64.0.1'), false); // carrier-grade NAT is not the user's LAN
    assert.equal(isLoopbackOrLan('169.254.1.1'), false);
  });
});
