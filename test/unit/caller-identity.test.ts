// How the gateway names a caller for rate limits and log lines (ClientAuth.identify), for the
// addresses a socket can report: only an IPv4-mapped IPv6 address is shown as IPv4, and a caller
// whose socket is already gone (or a server context without a request) is `ip:unknown`.
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { bearerToken, ClientAuth } from '../../src/gate/client-auth.ts';

const request = (authorization?: string) =>
  new Request('http://gateway/graphql', { headers: authorization ? { authorization } : {} });

function from(remoteAddress: string | undefined): { req: IncomingMessage } {
  const socket = new Socket();
  if (remoteAddress !== undefined)
    Object.defineProperty(socket, 'remoteAddress', { value: remoteAddress });
  return { req: new IncomingMessage(socket) };
}

describe('ClientAuth.identify without client keys', () => {
  const auth = new ClientAuth([]);

  it('shows an IPv4-mapped IPv6 address as the IPv4 address, whatever the number of digits', () => {
    for (const ipv4 of ['192.168.100.200', '10.0.0.1', '1.22.133.4', '255.255.255.255']) {
      expect(auth.identify(request(), from(`::ffff:${ipv4}`))).toBe(`ip:${ipv4}`);
    }
  });

  it('keeps every other address as the socket reports it', () => {
    for (const address of [
      '127.0.0.1',
      '::1',
      '2001:db8::ffff:1',
      '::ffff:abcd:1',
      '::ffff:10.0.0',
    ]) {
      expect(auth.identify(request(), from(address))).toBe(`ip:${address}`);
    }
  });

  it('is `ip:unknown` when the socket has no address left, or the server context has no node request', () => {
    expect(auth.identify(request(), from(undefined))).toBe('ip:unknown');
    for (const context of [
      {},
      null,
      undefined,
      'req',
      { req: {} },
      { req: { socket: { remoteAddress: '10.0.0.9' } } },
    ]) {
      expect(auth.identify(request(), context)).toBe('ip:unknown');
    }
  });
});

describe('ClientAuth.identify with client keys', () => {
  const auth = new ClientAuth(['identity-key-0123456789']);

  it('names a caller whose key is not configured, or who sent none, by its address', () => {
    expect(auth.identify(request('Bearer identity-key-012345678x'), from('10.0.0.7'))).toBe(
      'ip:10.0.0.7',
    );
    expect(auth.identify(request('Basic identity-key-0123456789'), from('10.0.0.7'))).toBe(
      'ip:10.0.0.7',
    );
    expect(auth.identify(request(), from('10.0.0.7'))).toBe('ip:10.0.0.7');
  });
});

describe('bearerToken', () => {
  it('reads the token of `Bearer <token>` and nothing else', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('Bearer abc \t')).toBe('abc');
    for (const value of [
      null,
      undefined,
      '',
      'Bearer',
      'Bearer ',
      'Bearer abc def',
      'xBearer abc',
      'Bearer\u00a0abc',
      'Bearer abc\u00a0',
    ]) {
      expect(bearerToken(value), JSON.stringify(value)).toBeNull();
    }
  });
});
