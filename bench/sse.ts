// A minimal server-sent-events client over node:http: it clocks the first token with
// process.hrtime.bigint() and counts tokens (token events, or the total its terminal event
// reports), without parsing JSON on the hot path.
import { request, type Agent } from 'node:http';
import type { StreamSpec } from './workloads.ts';

export interface StreamOutcome {
  status: number;
  /** ms from sending the request to the first token event; NaN without one. */
  ttftMs: number;
  tokens: number;
  /** The terminal success event arrived (`[DONE]` / `CompletionDone`). */
  done: boolean;
  error: string | null;
  /** ms from sending the request to the end of the response. */
  totalMs: number;
}

export interface OpenStream {
  readonly tokens: number;
  readonly firstTokenAt: bigint | null;
  readonly lastTokenAt: bigint | null;
  /** Settles when the response ends, fails, or is cancelled. */
  readonly finished: Promise<StreamOutcome>;
  /** Whether it ended on its own (not cancelled) before `cancel()`. */
  readonly ended: boolean;
  cancel(): void;
}

export interface StreamCallbacks {
  /** Called with the time of each token. */
  onToken?: (at: bigint) => void;
}

export function openStream(
  origin: string,
  spec: StreamSpec,
  agent: Agent | false,
  callbacks: StreamCallbacks = {},
): OpenStream {
  const url = new URL(spec.path, origin);
  const sentAt = process.hrtime.bigint();
  let tokens = 0;
  let firstTokenAt: bigint | null = null;
  let lastTokenAt: bigint | null = null;
  let done = false;
  let ended = false;
  let cancelled = false;
  let status = 0;
  let error: string | null = null;
  let settle: (outcome: StreamOutcome) => void = () => undefined;
  const finished = new Promise<StreamOutcome>((resolve) => {
    settle = resolve;
  });
  const finish = () => {
    const ms = (at: bigint | null) => (at === null ? NaN : Number(at - sentAt) / 1e6);
    settle({
      status,
      ttftMs: ms(firstTokenAt),
      tokens,
      done,
      error,
      totalMs: ms(process.hrtime.bigint()),
    });
  };

  const req = request(url, { method: 'POST', headers: spec.headers, agent }, (res) => {
    status = res.statusCode ?? 0;
    if (status !== 200) error = `HTTP ${status}`;
    res.setEncoding('utf8');
    let buffer = '';
    res.on('data', (text: string) => {
      buffer += text;
      let end = buffer.indexOf('\n\n');
      while (end !== -1) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
        const kind = spec.classify(event);
        if (kind === 'token') {
          const at = process.hrtime.bigint();
          tokens += 1;
          firstTokenAt ??= at;
          lastTokenAt = at;
          callbacks.onToken?.(at);
        } else if (kind === 'done') {
          done = true;
          tokens = spec.tokensAtDone?.(event) ?? tokens;
        } else if (kind === 'error') {
          error ??= event.slice(0, 300);
        }
      }
    });
    res.on('end', () => {
      ended = !cancelled;
      finish();
    });
    res.on('error', (cause: Error) => {
      if (!cancelled) {
        ended = true;
        error ??= cause.message;
      }
      finish();
    });
  });
  req.on('error', (cause: Error) => {
    if (!cancelled) {
      ended = true;
      error ??= cause.message;
    }
    finish();
  });
  // Covers a cancel before or during the response, whichever events Node emits for it.
  req.on('close', finish);
  req.end(spec.body);

  return {
    get tokens() {
      return tokens;
    },
    get firstTokenAt() {
      return firstTokenAt;
    },
    get lastTokenAt() {
      return lastTokenAt;
    },
    get ended() {
      return ended;
    },
    finished,
    cancel() {
      cancelled = true;
      req.destroy();
    },
  };
}
