// graphql-sse's single-connection mode on /graphql/stream (a stream reserved with PUT, operations
// POSTed with its token, events multiplexed on one GET): the protocol is graphql-sse's own handler,
// every operation runs through runOperation, like any other way in. (Its distinct-connections mode
// is the GraphQL over SSE that /graphql serves: the HTTP handler sends it there.)
import { randomUUID } from 'node:crypto';
import type { Response as SseResponse } from 'graphql-sse';
import { createHandler } from 'graphql-sse/lib/use/fetch';
import { isAsyncIterable, processRegularResult, type Plugin } from 'graphql-yoga';
import { runOperation, type GatewayYoga, type ServerContext } from './operation.ts';
import { STREAM_TOKEN_HEADER } from './ways.ts';

const JSON_TYPE = 'application/json; charset=utf-8';

/** Reserved streams remembered at once (their owners); the oldest is forgotten first. */
const MAX_STREAMS = 10_000;

/**
 * `identify` names the caller (client auth's key fingerprint, or the address): a stream reserved by
 * one caller is not found for another, so a token alone does not give another key its events.
 */
export function useSingleConnectionStreams(
  path: string,
  identify: (request: Request, serverContext: unknown) => string,
): Plugin {
  const serverContexts = new WeakMap<Request, ServerContext>();
  const owners = new Map<string, string>();
  const notFound = (): SseResponse => [
    JSON.stringify({
      errors: [
        { message: 'No stream of yours has this token.', extensions: { code: 'NOT_FOUND' } },
      ],
    }),
    { status: 404, statusText: 'Not Found', headers: { 'content-type': JSON_TYPE } },
  ];
  let handler: ((request: Request) => Promise<Response>) | undefined;
  let logger: GatewayYoga['logger'] | undefined;
  return {
    onYogaInit({ yoga }) {
      const gateway = yoga as unknown as GatewayYoga;
      logger = gateway.logger;
      handler = createHandler(
        {
          authenticate(req) {
            const request = req.raw as Request;
            const caller = identify(request, serverContexts.get(request));
            if (req.method === 'PUT') {
              const token = randomUUID();
              if (owners.size >= MAX_STREAMS) owners.delete(owners.keys().next().value!);
              owners.set(token, caller);
              return token;
            }
            const token =
              req.headers.get(STREAM_TOKEN_HEADER) ??
              new URL(req.url, 'http://localhost/').searchParams.get('token');
            if (token === null) return randomUUID();
            return owners.get(token) === caller ? token : notFound();
          },
          async onSubscribe(req, given) {
            const request = req.raw as Request;
            // graphql-sse's parser insists on a query: a trusted document sent by hash comes with `query: ""`.
            const params =
              given.query === '' && given.extensions?.persistedQuery !== undefined
                ? { ...given, query: undefined }
                : given;
            const result = await runOperation(
              gateway,
              params,
              request,
              serverContexts.get(request) as ServerContext,
            );
            // A result with data (or a stream of them) goes out on the reserved stream.
            if (isAsyncIterable(result) || (!Array.isArray(result) && 'data' in result))
              return result as never;
            // A request-level refusal (no data) answers the POST itself, as /graphql would answer it.
            const response = processRegularResult(
              result,
              gateway.fetchAPI,
              'application/graphql-response+json',
            );
            return [
              await response.text(),
              {
                status: response.status,
                statusText: '',
                headers: Object.fromEntries(response.headers),
              },
            ];
          },
        },
        gateway.fetchAPI,
      );
    },
    onRequest({ request, url, serverContext, endResponse, fetchAPI }) {
      if (handler === undefined || (url.pathname !== path && url.pathname !== `${path}/`)) return;
      serverContexts.set(request, serverContext as unknown as ServerContext);
      return handler(request).then(endResponse, (error: unknown) => {
        // A bug here, not the client's doing: logged, and answered as Yoga answers one.
        logger?.error(error);
        endResponse(
          new fetchAPI.Response(JSON.stringify({ errors: [{ message: 'Unexpected error.' }] }), {
            status: 500,
            headers: { 'content-type': JSON_TYPE },
          }),
        );
      });
    },
  };
}
