import { createHash } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ClientAuth } from '../../src/gate/client-auth.ts';

const KEY = 'client-key-0123456789abcdef';
const request = (authorization?: string) =>
  new Request('http://gateway/graphql', { headers: authorization ? { authorization } : {} });

function nodeRequestFrom(remoteAddress: string): { req: IncomingMessage } {
  const socket = new Socket();
  Object.defineProperty(socket, 'remoteAddress', { value: remoteAddress });
  return { req: new IncomingMessage(socket) };
}

describe('ClientAuth', () => {
  it('matches only a configured key, whatever the length of the one presented', () => {
    const auth = new ClientAuth([KEY, 'another-client-key-000000']);
    expect(auth.match(KEY)).not.toBeNull();
    expect(auth.match(`${KEY.slice(0, -1)}x`)).toBeNull();
    expect(auth.match(`${KEY}x`)).toBeNull();
    expect(auth.match('')).toBeNull();
  });

  it('names a client by a short SHA-256 fingerprint of its key, never the key itself', () => {
    const auth = new ClientAuth([KEY]);
    const id = auth.identify(request(`Bearer ${KEY}`), nodeRequestFrom('10.0.0.7'));
    expect(id).toBe(`key:${createHash('sha256').update(KEY).digest('hex').slice(0, 12)}`);
    expect(id).not.toContain(KEY.slice(0, 8));
  });

  it('names a client by its remote address without client auth (IPv4-mapped IPv6 shown as IPv4)', () => {
    const auth = new ClientAuth([]);
    expect(auth.enabled).toBe(false);
    expect(auth.identify(request(`Bearer ${KEY}`), nodeRequestFrom('::ffff:192.0.2.4'))).toBe(
      'ip:192.0.2.4',
    );
    expect(auth.identify(request(), nodeRequestFrom('2001:db8::1'))).toBe('ip:2001:db8::1');
    expect(auth.identify(request(), {})).toBe('ip:unknown');
  });
});
