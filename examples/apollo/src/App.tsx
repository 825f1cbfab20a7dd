// The app: the gateway's models, a completion, a chat (a conversation, with the typed error a
// result union carries), and a streamed chat with Stop. Every operation is a typed document of
// src/gql (codegen.ts writes them from ../react-shared/operations.graphql); every result union is
// switched on `__typename`.
import { CombinedGraphQLErrors } from '@apollo/client';
import { useMutation, useQuery } from '@apollo/client/react';
import { useState, type ReactNode } from 'react';
import { useChatStream, type ChatStreamState } from './chat-stream.ts';
import type { ChatMessageInput, ErrorCode, ModelsQuery } from './gql/graphql.ts';
import { ChatDocument, CompleteDocument, ModelsDocument } from './gql/graphql.ts';

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

/** A request that got no result: the gateway refused it (e.g. a top-level error), or is unreachable. */
function RequestError({ error }: { error: Error }) {
  const codes = CombinedGraphQLErrors.is(error)
    ? error.errors.map((e) => String(e.extensions?.code ?? 'ERROR')).join(', ')
    : null;
  return (
    <p className="request-error" role="alert">
      {codes ? `${codes}: ` : ''}
      {error.message}
      {codes ? '' : ` (is the gateway running, with CORS_ORIGINS=${location.origin}?)`}
    </p>
  );
}

type Model = ModelsQuery['models'][number];

function Models({ models, onPick }: { models: Model[]; onPick: (id: string) => void }) {
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

function Complete({ model, maxTokens }: { model: string; maxTokens: number | null }) {
  const [prompt, setPrompt] = useState('Once upon a time');
  const [complete, { data, loading, error }] = useMutation(CompleteDocument);
  const result = data?.complete;
  return (
    <section id="complete-panel">
      <h2>Complete</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          // A failed request shows through `error`; the rejected promise needs no handler here.
          complete({ variables: { model, prompt, maxTokens } }).catch(() => undefined);
        }}
      >
        <label>
          Prompt{' '}
          <textarea
            id="prompt"
            rows={2}
            value={prompt}
            onChange={(e) => setPrompt(e.target.value)}
          />
        </label>
        <button id="complete" type="submit" disabled={loading || model === ''}>
          Complete
        </button>
      </form>
      {loading ? <p className="status">Completing…</p> : null}
      {error ? <RequestError error={error} /> : null}
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

function Chat({ model, maxTokens }: { model: string; maxTokens: number | null }) {
  const [message, setMessage] = useState('Tell me about lighthouses.');
  const [history, setHistory] = useState<ChatMessageInput[]>([]);
  const [chat, { data, loading, error }] = useMutation(ChatDocument);
  const result = data?.chat;

  async function send(): Promise<void> {
    const messages: ChatMessageInput[] = [...history, { role: 'USER', content: message }];
    try {
      const reply = (await chat({ variables: { model, messages, maxTokens } })).data?.chat;
      if (reply?.__typename !== 'ChatCompletion') return; // a typed error: shown below, turn not kept
      setHistory([...messages, { role: 'ASSISTANT', content: reply.reply.content ?? '' }]);
      setMessage('');
    } catch {
      // Shown through `error`.
    }
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
        <label>
          Message{' '}
          <textarea
            id="chat-message"
            rows={2}
            value={message}
            onChange={(e) => setMessage(e.target.value)}
          />
        </label>
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
      {error ? <RequestError error={error} /> : null}
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

function Stream({ model, maxTokens }: { model: string; maxTokens: number | null }) {
  const [message, setMessage] = useState('Tell me a long story about the harbor.');
  const { state, start, stop } = useChatStream();
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
        <label>
          Message{' '}
          <textarea
            id="stream-message"
            rows={2}
            value={message}
            onChange={(e) => setMessage(e.target.value)}
          />
        </label>
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

export function App({ endpoint }: { endpoint: string }) {
  const { data, loading, error } = useQuery(ModelsDocument);
  const models = data?.models ?? [];
  // Only the models that generate text can complete or chat.
  const generation = models.filter((m) => m.kind === 'GENERATION').map((m) => m.id);
  const [model, setModel] = useState<string | null>(null);
  const [maxTokens, setMaxTokens] = useState('64');
  const chosen = model ?? generation[0] ?? '';
  const tokens = maxTokens === '' ? null : Number(maxTokens);
  return (
    <main>
      <h1>nim-graphql · Apollo Client</h1>
      <p className="endpoint">
        Endpoint: <code id="endpoint">{endpoint}</code>
      </p>
      <section id="models-panel">
        <h2>Models</h2>
        {loading ? <p className="status">Loading models…</p> : null}
        {error ? <RequestError error={error} /> : null}
        <Models models={models} onPick={setModel} />
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
