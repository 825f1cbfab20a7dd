// The page of the two example apps, as components that only show what they are given and report
// what the user asks for: the model list, a completion, a chat (a conversation, with the typed error
// a result union carries), and a streamed chat with Stop. Each app runs the operations on its own
// client and hands these its results (typed by its own codegen, the types of ./gql) and a failed
// request in the page's terms (RequestFailure); every result union is switched on `__typename`.
import { useState, type ComponentType, type ReactNode } from 'react';
import type { ChatStream, ChatStreamState } from './chat-stream.ts';
import type {
  ChatMessageInput,
  ChatMutation,
  ChatMutationVariables,
  CompleteMutation,
  CompleteMutationVariables,
  ErrorCode,
  ModelsQuery,
} from './gql/graphql.ts';

/** What every typed error has: its type, its stable code, and a message for people. */
interface TypedErrorFields {
  __typename: string;
  code: ErrorCode;
  message: string;
}

function TypedError({ error, children }: { error: TypedErrorFields; children?: ReactNode }) {
  return (
    <div className="typed-error" role="alert" data-typename={error.__typename}>
      <strong className="typename">{error.__typename}</strong>{' '}
      <code className="code">{error.code}</code> <span className="message">{error.message}</span>
      {children}
    </div>
  );
}

/**
 * A request that got no result, as the app reads its client's error: the gateway refused it (e.g.
 * a top-level error, its codes in `message`), or it is `unreachable`.
 */
export interface RequestFailure {
  message: string;
  unreachable: boolean;
}

function RequestError({ failure }: { failure: RequestFailure }) {
  return (
    <p className="request-error" role="alert">
      {failure.message}
      {failure.unreachable
        ? ` (is the gateway running, with CORS_ORIGINS=${location.origin}?)`
        : ''}
    </p>
  );
}

/** A request as the client's hook reports it. */
interface RequestState<Result> {
  loading: boolean;
  failure: RequestFailure | undefined;
  result: Result | undefined;
}

/** What the panels generate with: the model chosen, and at most how many tokens. */
export interface Generation {
  model: string;
  maxTokens: number | null;
}

/** A labelled text box, two rows high. */
function TextBox({
  id,
  label,
  value,
  onChange,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <label>
      {label} <textarea id={id} rows={2} value={value} onChange={(e) => onChange(e.target.value)} />
    </label>
  );
}

type Model = ModelsQuery['models'][number];

function ModelList({ models, onPick }: { models: Model[]; onPick: (id: string) => void }) {
  return (
    <ul id="models">
      {models.map((m) => (
        <li key={m.id} data-id={m.id} data-kind={m.kind}>
          <button type="button" disabled={m.kind !== 'GENERATION'} onClick={() => onPick(m.id)}>
            {m.id}
          </button>{' '}
          <small>
            {m.kind}
            {m.ownedBy ? ` · ${m.ownedBy}` : ''}
            {m.parent ? ` · adapter of ${m.parent.id}` : ''}
            {m.maxModelLength ? ` · ${m.maxModelLength} tokens` : ''}
          </small>
        </li>
      ))}
    </ul>
  );
}

export function CompletePanel({
  model,
  maxTokens,
  loading,
  failure,
  result,
  complete,
}: Generation &
  RequestState<CompleteMutation['complete']> & {
    /** Runs the mutation; the client's hook reports how it went. */
    complete(variables: CompleteMutationVariables): void;
  }) {
  const [prompt, setPrompt] = useState('Once upon a time');
  return (
    <section id="complete-panel">
      <h2>Complete</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          complete({ model, prompt, maxTokens });
        }}
      >
        <TextBox id="prompt" label="Prompt" value={prompt} onChange={setPrompt} />
        <button id="complete" type="submit" disabled={loading || model === ''}>
          Complete
        </button>
      </form>
      {loading ? <p className="status">Completing…</p> : null}
      {failure ? <RequestError failure={failure} /> : null}
      {result?.__typename === 'Completion' ? (
        <>
          <pre id="completion">{result.text}</pre>
          <p className="status">
            {result.choices[0]?.finishReason ?? 'no finish reason'}
            {result.usage ? ` · ${result.usage.totalTokens} tokens` : ''}
          </p>
        </>
      ) : result ? (
        <TypedError error={result} />
      ) : null}
    </section>
  );
}

export function ChatPanel({
  model,
  maxTokens,
  loading,
  failure,
  result,
  chat,
}: Generation &
  RequestState<ChatMutation['chat']> & {
    /** Runs the mutation: its result, or undefined for a request that failed (the hook reports it). */
    chat(variables: ChatMutationVariables): Promise<ChatMutation['chat'] | undefined>;
  }) {
  const [message, setMessage] = useState('Tell me about lighthouses.');
  const [history, setHistory] = useState<ChatMessageInput[]>([]);

  async function send(): Promise<void> {
    const messages: ChatMessageInput[] = [...history, { role: 'USER', content: message }];
    // A failed request or a typed error is shown below, and the turn is not kept.
    const reply = await chat({ model, messages, maxTokens });
    if (reply?.__typename !== 'ChatCompletion') return;
    setHistory([...messages, { role: 'ASSISTANT', content: reply.reply.content ?? '' }]);
    setMessage('');
  }

  return (
    <section id="chat-panel">
      <h2>Chat</h2>
      <ol id="chat-log">
        {history.map((turn, i) => (
          <li key={i} data-role={turn.role}>
            <b>{turn.role === 'USER' ? 'You' : 'Model'}:</b> {turn.content}
          </li>
        ))}
      </ol>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void send();
        }}
      >
        <TextBox id="chat-message" label="Message" value={message} onChange={setMessage} />
        <div className="buttons">
          <button id="chat-send" type="submit" disabled={loading || model === '' || message === ''}>
            Send
          </button>
          <button id="chat-clear" type="button" onClick={() => setHistory([])}>
            New conversation
          </button>
        </div>
      </form>
      {loading ? <p className="status">Waiting for the model…</p> : null}
      {failure ? <RequestError failure={failure} /> : null}
      {result && result.__typename !== 'ChatCompletion' ? (
        <TypedError error={result}>
          {result.__typename === 'ModelNotFoundError' ? (
            <p className="available">
              {result.requestedModel} is not served; these are: {result.availableModels.join(', ')}
            </p>
          ) : null}
        </TypedError>
      ) : null}
    </section>
  );
}

function streamStatus(state: ChatStreamState): ReactNode {
  switch (state.phase) {
    case 'idle':
      return '';
    case 'streaming':
      return 'Streaming…';
    case 'done': {
      const { choices, usage } = state.done;
      const tokens = usage
        ? ` · ${usage.promptTokens} prompt + ${usage.completionTokens} completion = ${usage.totalTokens} tokens`
        : '';
      return `Done: ${choices[0]?.finishReason ?? 'no finish reason'}${tokens}`;
    }
    case 'failed':
      return <TypedError error={state.error} />;
    case 'broken':
      return `Request failed: ${state.message}`;
    case 'stopped':
      return 'Stopped.';
  }
}

export function StreamPanel({ model, maxTokens, stream }: Generation & { stream: ChatStream }) {
  const [message, setMessage] = useState('Tell me a long story about the harbor.');
  const { state, start, stop } = stream;
  const streaming = state.phase === 'streaming';
  return (
    <section id="stream-panel">
      <h2>Stream a chat</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          start({ model, messages: [{ role: 'USER', content: message }], maxTokens });
        }}
      >
        <TextBox id="stream-message" label="Message" value={message} onChange={setMessage} />
        <div className="buttons">
          <button id="stream" type="submit" disabled={streaming || model === ''}>
            Stream
          </button>
          <button id="stop" type="button" disabled={!streaming} onClick={stop}>
            Stop
          </button>
        </div>
      </form>
      <pre id="stream-output" aria-live="polite">
        {state.text}
      </pre>
      <div id="stream-status" role="status" data-state={state.phase}>
        {streamStatus(state)}
      </div>
    </section>
  );
}

/**
 * The whole page: the model list (the Models query's state), the model and token limit to
 * generate with, and the app's three panels, each running its operation on the app's client.
 */
export function Page({
  client,
  endpoint,
  loading,
  failure,
  result,
  panels: { Complete, Chat, Stream },
}: RequestState<ModelsQuery['models']> & {
  /** The client's name, in the heading. */
  client: string;
  endpoint: string;
  panels: Record<'Complete' | 'Chat' | 'Stream', ComponentType<Generation>>;
}) {
  const models = result ?? [];
  // Only the models that generate text can complete or chat.
  const generation = models.filter((m) => m.kind === 'GENERATION').map((m) => m.id);
  const [model, setModel] = useState<string | null>(null);
  const [maxTokens, setMaxTokens] = useState('64');
  const chosen = model ?? generation[0] ?? '';
  const tokens = maxTokens === '' ? null : Number(maxTokens);
  return (
    <main>
      <h1>nim-graphql · {client}</h1>
      <p className="endpoint">
        Endpoint: <code id="endpoint">{endpoint}</code>
      </p>
      <section id="models-panel">
        <h2>Models</h2>
        {loading ? <p className="status">Loading models…</p> : null}
        {failure ? <RequestError failure={failure} /> : null}
        <ModelList models={models} onPick={setModel} />
      </section>
      <fieldset>
        <label>
          Model{' '}
          <input
            id="model"
            list="model-ids"
            value={chosen}
            onChange={(e) => setModel(e.target.value)}
          />
        </label>
        <datalist id="model-ids">
          {generation.map((id) => (
            <option key={id} value={id} />
          ))}
        </datalist>
        <label>
          Max tokens{' '}
          <input
            id="max-tokens"
            type="number"
            min={1}
            value={maxTokens}
            onChange={(e) => setMaxTokens(e.target.value)}
          />
        </label>
      </fieldset>
      <Complete model={chosen} maxTokens={tokens} />
      <Chat model={chosen} maxTokens={tokens} />
      <Stream model={chosen} maxTokens={tokens} />
    </main>
  );
}
