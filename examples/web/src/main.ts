// A minimal typed page: lists the gateway's models and streams a completion token by token.
// The documents and their result types come from GraphQL Code Generator (examples/gql); graphql-sse
// carries them.
import { createClient, NetworkError, type ExecutionResult } from 'graphql-sse';
import {
  CompletionStreamDocument,
  ModelsDocument,
  type CompletionStreamSubscription,
  type TypedDocumentString,
} from '../../gql/graphql.ts';

const endpoint =
  new URLSearchParams(location.search).get('endpoint') ??
  import.meta.env.VITE_GRAPHQL_URL ??
  'http://localhost:4000/graphql';

// Distinct connections mode (the default): every operation is its own POST with a JSON body, which
// the gateway's CSRF prevention lets through (a bare EventSource GET would be refused). Disposing a
// subscription aborts its request, and the gateway then aborts the upstream one.
const client = createClient({ url: endpoint, retryAttempts: 0 });

interface Handlers<TResult> {
  next(result: ExecutionResult<TResult, unknown>): void;
  error(error: unknown): void;
  complete(): void;
}

/** Runs a typed document: one result for a query, one per event for a subscription. Returns dispose. */
function run<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  handlers: Handlers<TResult>,
): () => void {
  return client.subscribe<TResult>(
    { query: document.toString(), variables: variables as Record<string, unknown> },
    handlers,
  );
}

function element<T extends HTMLElement>(id: string, type: { new (): T; prototype: T }): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`#${id} is missing from index.html`);
  return found;
}

const form = element('form', HTMLFormElement);
const modelSelect = element('model', HTMLSelectElement);
const promptInput = element('prompt', HTMLTextAreaElement);
const maxTokensInput = element('max-tokens', HTMLInputElement);
const streamButton = element('stream', HTMLButtonElement);
const stopButton = element('stop', HTMLButtonElement);
const output = element('output', HTMLPreElement);
const statusLine = element('status', HTMLParagraphElement);

type State = 'idle' | 'loading' | 'streaming' | 'done' | 'error' | 'stopped';

function setStatus(state: State, text: string): void {
  statusLine.dataset.state = state;
  statusLine.textContent = text;
}

/** Top-level GraphQL errors (the Models query raises its codes this way, in `extensions.code`). */
function describeErrors(errors: NonNullable<ExecutionResult['errors']>): string {
  return errors.map((e) => `${String(e.extensions?.code ?? 'ERROR')}: ${e.message}`).join('; ');
}

function describeFailure(error: unknown): string {
  // The gateway answered, but not with a stream (e.g. 400 when an operation is over MAX_OPERATION_COST).
  if (error instanceof NetworkError && error.response) return `Request failed: ${error.message}`;
  // No answer at all: the gateway is down, or a fetch refused by CORS, which looks the same to a page.
  const message = error instanceof Error ? error.message : String(error);
  return `Request failed: ${message} (is the gateway running, with CORS_ORIGINS=${location.origin}?)`;
}

function loadModels(): void {
  setStatus('loading', 'Loading models…');
  run(
    ModelsDocument,
    {},
    {
      next({ data, errors }) {
        if (errors?.length) return setStatus('error', describeErrors(errors));
        if (!data) return;
        // Only the models that generate text can stream a completion.
        const models = data.models.filter((m) => m.kind === 'GENERATION');
        modelSelect.replaceChildren(
          ...models.map((m) => {
            const details = [
              m.parent ? `adapter of ${m.parent.id}` : null,
              m.maxModelLength ? `${m.maxModelLength} tokens` : null,
            ];
            const label = details.some(Boolean)
              ? `${m.id} (${details.filter(Boolean).join(', ')})`
              : m.id;
            return new Option(label, m.id);
          }),
        );
        streamButton.disabled = models.length === 0;
        setStatus(
          'idle',
          models.length === 0
            ? 'The gateway serves no models that generate.'
            : `${models.length} models.`,
        );
      },
      error: (error) => setStatus('error', describeFailure(error)),
      complete() {},
    },
  );
}

type StreamEvent = CompletionStreamSubscription['completionStream'];

/** Renders one event: a chunk is appended (null: the stream goes on), anything else ends the stream. */
function render(event: StreamEvent): { state: State; text: string } | null {
  switch (event.__typename) {
    case 'CompletionChunk':
      output.append(event.text);
      return null;
    case 'CompletionDone': {
      const reason = event.choices[0]?.finishReason ?? 'no finish reason';
      const usage = event.usage;
      const tokens = usage
        ? ` · ${usage.promptTokens} prompt + ${usage.completionTokens} completion = ${usage.totalTokens} tokens`
        : '';
      return { state: 'done', text: `Done: ${reason}${tokens}` };
    }
    case 'UpstreamTimeoutError':
      return { state: 'error', text: `${event.code} (${event.phase}): ${event.message}` };
    case 'ContextLengthExceededError':
    case 'InvalidInputError':
    case 'ModelNotFoundError':
    case 'RateLimitedError':
    case 'BudgetExceededError':
    case 'UnsupportedByModelError':
    case 'WrongModelKindError':
    case 'UpstreamError':
      return { state: 'error', text: `${event.code}: ${event.message}` };
    default: {
      // A new member of the union fails the type check here until it gets its case.
      const unhandled: never = event;
      return { state: 'error', text: `Unexpected event: ${JSON.stringify(unhandled)}` };
    }
  }
}

let stopCurrent: (() => void) | null = null;

function startStream(): void {
  stopCurrent?.();
  output.textContent = '';
  setStatus('streaming', 'Streaming…');
  streamButton.disabled = true;
  stopButton.disabled = false;

  let ended = false;
  const end = (state: State, text: string): void => {
    if (ended) return;
    ended = true;
    stopCurrent = null;
    setStatus(state, text);
    streamButton.disabled = false;
    stopButton.disabled = true;
  };
  const maxTokens = maxTokensInput.valueAsNumber;
  const dispose = run(
    CompletionStreamDocument,
    {
      model: modelSelect.value,
      prompt: promptInput.value,
      maxTokens: Number.isNaN(maxTokens) ? null : maxTokens,
    },
    {
      next({ data, errors }) {
        if (errors?.length) return end('error', describeErrors(errors));
        const terminal = data ? render(data.completionStream) : null;
        if (terminal) end(terminal.state, terminal.text);
      },
      error: (error) => end('error', describeFailure(error)),
      complete: () => end('error', 'The stream ended without a terminal event.'),
    },
  );
  stopCurrent = () => {
    dispose();
    end('stopped', 'Stopped.');
  };
}

element('endpoint', HTMLElement).textContent = endpoint;
form.addEventListener('submit', (event) => {
  event.preventDefault();
  startStream();
});
stopButton.addEventListener('click', () => stopCurrent?.());
loadModels();
