// The HTTP entry every request passes first: requests no handler can name are refused here (with a
// request id and a log line), and graphql-sse's distinct-connections mode is sent to /graphql,
// whose protocol it is, so that one pipeline serves both.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { traceRefusal, type Observability } from '../plugins/use-observability.ts';
import { refusalBody, type Gate } from './gate.ts';
import { nodeHead } from './node-head.ts';
import { servedAsEndpoint } from './ways.ts';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

export function gatedEntry(
  gate: Gate,
  observability: Observability,
  endpoint: string,
  serve: Handler,
): Handler {
  return (request, response) => {
    const head = nodeHead(request);
    const malformed = gate.malformed(head);
    if (malformed !== null) {
      const requestId = traceRefusal(
        observability,
        { get: head.header },
        malformed.code,
        malformed.status,
      );
      response.writeHead(malformed.status, {
        'content-type': 'application/json; charset=utf-8',
        'x-request-id': requestId,
        ...malformed.headers,
      });
      return void response.end(refusalBody(malformed));
    }
    const route = gate.route(head);
    if (route.kind === 'graphql' && servedAsEndpoint(route.way)) {
      const url = request.url ?? '';
      const query = url.indexOf('?');
      request.url = query === -1 ? endpoint : `${endpoint}${url.slice(query)}`;
    }
    serve(request, response);
  };
}
