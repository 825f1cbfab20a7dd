// The app on urql: useQuery and useMutation run the operations, typed documents of src/gql
// (codegen.ts writes them from ../react-shared/operations.graphql), and the page the two example
// apps share (../react-shared/views.tsx) shows their results.
import { useMutation, useQuery, type CombinedError } from 'urql';
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
 * A request that got no result: the gateway refused it (graphQLErrors, with their codes), or urql
 * got no answer at all (a networkError alone), e.g. the gateway is unreachable.
 */
function failure(error: CombinedError | undefined): RequestFailure | undefined {
  if (!error) return undefined;
  if (error.networkError && error.graphQLErrors.length === 0) {
    return { message: error.networkError.message, unreachable: true };
  }
  return {
    message: error.graphQLErrors
      .map((e) => `${String(e.extensions.code ?? 'ERROR')}: ${e.message}`)
      .join('; '),
    unreachable: false,
  };
}

function Complete(generation: Generation) {
  const [{ data, fetching, error }, complete] = useMutation(CompleteDocument);
  return (
    <CompletePanel
      {...generation}
      loading={fetching}
      failure={failure(error)}
      result={data?.complete}
      // urql's promise always resolves: a failed request shows through `error`.
      complete={(variables) => void complete(variables)}
    />
  );
}

function Chat(generation: Generation) {
  const [{ data, fetching, error }, chat] = useMutation(ChatDocument);
  return (
    <ChatPanel
      {...generation}
      loading={fetching}
      failure={failure(error)}
      result={data?.chat}
      // urql's promise always resolves: a failed request has no data, and shows through `error`.
      chat={async (variables) => (await chat(variables)).data?.chat}
    />
  );
}

function Stream(generation: Generation) {
  const stream = useChatStream();
  return <StreamPanel {...generation} stream={stream} />;
}

export function App({ endpoint }: { endpoint: string }) {
  const [{ data, fetching, error }] = useQuery({ query: ModelsDocument });
  return (
    <Page
      client="urql"
      endpoint={endpoint}
      loading={fetching}
      failure={failure(error)}
      result={data?.models}
      panels={{ Complete, Chat, Stream }}
    />
  );
}
