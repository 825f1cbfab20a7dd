// The app on Apollo Client: useQuery and useMutation run the operations, typed documents of src/gql
// (codegen.ts writes them from ../react-shared/operations.graphql), and the page the two example
// apps share (../react-shared/views.tsx) shows their results.
import { CombinedGraphQLErrors } from '@apollo/client';
import { useMutation, useQuery } from '@apollo/client/react';
import {
  ChatPanel,
  CompletePanel,
  Page,
  StreamPanel,
  type Generation,
  type RequestFailure,
} from '../../react-shared/views.tsx';
import { useChatStream } from './chat-stream.ts';
import { ChatDocument, CompleteDocument, ModelsDocument } from './gql/graphql.ts';

/**
 * A request that got no result: the gateway refused it (CombinedGraphQLErrors, with the codes of
 * its errors), or anything else failed, e.g. the gateway is unreachable.
 */
function failure(error: Error | undefined): RequestFailure | undefined {
  if (!error) return undefined;
  const codes = CombinedGraphQLErrors.is(error)
    ? error.errors.map((e) => String(e.extensions?.code ?? 'ERROR')).join(', ')
    : null;
  return codes
    ? { message: `${codes}: ${error.message}`, unreachable: false }
    : { message: error.message, unreachable: true };
}

function Complete(generation: Generation) {
  const [complete, { data, loading, error }] = useMutation(CompleteDocument);
  return (
    <CompletePanel
      {...generation}
      loading={loading}
      failure={failure(error)}
      result={data?.complete}
      // A failed request shows through `error`; the rejected promise needs no handler here.
      complete={(variables) => complete({ variables }).catch(() => undefined)}
    />
  );
}

function Chat(generation: Generation) {
  const [chat, { data, loading, error }] = useMutation(ChatDocument);
  return (
    <ChatPanel
      {...generation}
      loading={loading}
      failure={failure(error)}
      result={data?.chat}
      // A failed request rejects, and shows through `error`: no reply.
      chat={(variables) =>
        chat({ variables }).then(
          (r) => r.data?.chat,
          () => undefined,
        )
      }
    />
  );
}

function Stream(generation: Generation) {
  const stream = useChatStream();
  return <StreamPanel {...generation} stream={stream} />;
}

export function App({ endpoint }: { endpoint: string }) {
  const { data, loading, error } = useQuery(ModelsDocument);
  return (
    <Page
      client="Apollo Client"
      endpoint={endpoint}
      loading={loading}
      failure={failure(error)}
      result={data?.models}
      panels={{ Complete, Chat, Stream }}
    />
  );
}
