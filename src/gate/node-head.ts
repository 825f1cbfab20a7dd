import type { IncomingMessage } from 'node:http';
import type { RequestHead } from './gate.ts';

/** What the gate reads of a node request: its method, target and headers. */
export function nodeHead(request: IncomingMessage): RequestHead {
  const headers = request.headers;
  return {
    method: request.method ?? 'GET',
    url: request.url ?? '/',
    header: (name) => {
      const value = headers[name];
      return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
    },
  };
}
