// graphql-sse's single-connection mode on /graphql/stream (a stream reserved with PUT, operations
// POSTed with its token, events multiplexed on one GET): the protocol is graphql-sse's own handler,
// every operation runs through runOperation, like any other way in. (Its distinct-connections mode
// is the GraphQL over SSE that /graphql serves: the HTTP handler sends it there.)
import { createHandler } from 'graphql-sse/lib/use/fetch';
import { isAsyncIterable, processRegularResult, type Plugin } from 'graphql-yoga';
import { runOperation, type GatewayYoga, type ServerContext } from './operation.ts';

const JSON_TYPE = 'application/json; charset=utf-8';

export function useSingleConnectionStreams(path: string): Plugin {
  const serverContexts = new WeakMap<Request, ServerContext>();
  let handler: ((request: Request) => Promise<Response>) | undefined;
  let logger: GatewayYoga['logger'] | undefined;
  return {
    onYogaInit({ yoga }) {
      const gateway = yoga as unknown as GatewayYoga;
      logger = gateway.logger;
      handler = createHandler(
        {
          async onSubscribe(req, given) {
            const request = req.raw as Request;
            // graphql-sse's parser insists on a query: a trusted document sent by hash comes with `query: ""`.
            const params = given.query === '' && given.extensions?.persistedQuery !== undefined ? { ...given, query: undefined } : given;
            const result = await runOperation(gateway, params, request, serverContexts.get(request) as ServerContext);
            // A result with data (or a stream of them) goes out on the reserved stream.
            if (isAsyncIterable(result) || (!Array.isArray(result) && 'data' in result)) return result as never;
            // A request-level refusal (no data) answers the POST itself, as /graphql would answer it.
            const response = processRegularResult(result, gateway.fetchAPI, 'application/graphql-response+json');
            return [await response.text(), { status: response.status, statusText: '', headers: Object.fromEntries(response.headers) }];
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
        endResponse(new fetchAPI.Response(JSON.stringify({ errors: [{ message: 'Unexpected error.' }] }), { status: 500, headers: { 'content-type': JSON_TYPE } }));
      });
    },
  };
}
